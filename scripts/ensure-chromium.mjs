#!/usr/bin/env node
// Run before the tests: make sure a Chromium exists. On Debian as root, install Debian's package;
// otherwise say in one line what to install. Never downloads a browser build from elsewhere.
// Also, on Debian as root, Debian's python3-anndata, so the tests that read the files the app
// writes back with real anndata run (without it they are skipped with the reason printed).
import { existsSync, readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const isDebian = existsSync('/etc/debian_version') || /debian/i.test(readFileSync('/etc/os-release', 'utf8').toString());
const hasAnndata = () => {
  try {
    execSync('/usr/bin/python3 -c "import anndata"', { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
if (isRoot && isDebian && !hasAnndata()) {
  console.log('trvae-web: installing Debian\'s python3-anndata with apt-get (the anndata read-back tests use it)');
  try {
    execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-anndata', { stdio: 'inherit' });
  } catch {
    console.log('trvae-web: python3-anndata could not be installed; the anndata read-back tests will be skipped');
  }
}

const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium'].filter(Boolean);
if (candidates.some((p) => existsSync(p))) process.exit(0);

let managed;
try {
  const { chromium } = await import('playwright');
  managed = chromium.executablePath();
} catch {
  managed = undefined;
}
if (managed && existsSync(managed)) process.exit(0);

if (isRoot && isDebian) {
  console.log('trvae-web: no Chromium found; installing Debian\'s chromium with apt-get');
  execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium', { stdio: 'inherit' });
  if (existsSync('/usr/bin/chromium')) process.exit(0);
}
console.error('trvae-web: no Chromium found. Install Debian\'s "chromium" package (or set CHROMIUM_PATH to a Chromium ≥ 120 binary) and re-run.');
process.exit(1);
