/**
 * Text from manifests (names, values) made safe to print on a terminal: control characters
 * (C0, DEL, C1, which includes the one-byte CSI) and the bidirectional overrides that reorder
 * what a reader sees are written as `\u{…}` escapes, so a name can neither move the cursor,
 * clear the screen, nor forge a line of the report.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** `text` with every unprintable character escaped. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}
