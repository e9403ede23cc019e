/**
 * The exit codes of `ipfailover agent`, `render` and `remove`. They live apart from the agent so
 * the CLI commands share them without importing the agent's run loop. 0 is success.
 */

/** An environment or node the command refuses to run with; nothing was changed. */
export const EXIT_CONFIG = 2;
/** keepalived failed or died on its own, or a change on the node failed. */
export const EXIT_FAILED = 1;
