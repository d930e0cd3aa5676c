// Where the tests find a Chromium, and the flags that give it a (software) WebGPU adapter.
// Order: $CHROMIUM_PATH, Debian's /usr/bin/chromium, Playwright's managed browser. Nothing is downloaded.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright';

export function findChromium(): string | undefined {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  try {
    const managed = chromium.executablePath();
    if (managed && existsSync(managed)) return managed;
  } catch {
    // Playwright throws when it has no managed browser registered.
  }
  return undefined;
}

export function requireChromium(): string {
  const path = findChromium();
  if (!path) {
    throw new Error(
      'No Chromium found: set CHROMIUM_PATH, or install Debian\'s chromium (apt-get install chromium), then re-run.',
    );
  }
  return path;
}

/** Flags for headless Chromium on a closed network with WebGPU on SwiftShader when no GPU exists. */
export const chromiumArgs: string[] = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];
