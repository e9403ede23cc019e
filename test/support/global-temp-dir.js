// The test run's private temporary directory, removed when the run ends. cdk8s's
// Testing.app() makes an output directory per call, and tests make their own, all under
// os.tmpdir(), which follows TMPDIR. Jest sandboxes process.env inside test files, so TMPDIR is
// set here, in the parent, before the workers are started (they inherit it).
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

module.exports.setup = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipfailover-test-'));
  process.env.IPFAILOVER_TEST_TMPDIR = dir;
  process.env.TMPDIR = dir;
};

module.exports.teardown = async () => {
  const dir = process.env.IPFAILOVER_TEST_TMPDIR;
  if (dir) rmSync(dir, { recursive: true, force: true });
};
