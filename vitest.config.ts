import { existsSync, readdirSync } from 'node:fs';
import { defineConfig, mergeConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import viteConfig, { isolationHeaders } from './vite.config.ts';
import { chromiumArgs, findChromium } from './scripts/chromium.ts';

// Test servers (e.g. a range-capable static server on 127.0.0.1) live in test/setup/*.ts.
const globalSetup = (existsSync('test/setup') ? readdirSync('test/setup') : [])
  .filter((f) => f.endsWith('.ts'))
  .map((f) => `test/setup/${f}`);

export default mergeConfig(
  viteConfig,
  defineConfig({
    server: { headers: isolationHeaders },
    test: {
      globalSetup,
      projects: [
        {
          extends: true,
          test: {
            name: 'unit',
            environment: 'node',
            include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'scripts/**/*.test.ts'],
            exclude: ['**/*.browser.test.ts', 'node_modules/**'],
            testTimeout: 60_000,
          },
        },
        {
          extends: true,
          test: {
            name: 'browser',
            include: ['src/**/*.browser.test.ts', 'test/**/*.browser.test.ts', 'bench/**/*.browser.test.ts'],
            testTimeout: 120_000,
            browser: {
              enabled: true,
              headless: true,
              provider: playwright({
                launchOptions: { executablePath: findChromium(), args: chromiumArgs },
              }),
              instances: [{ browser: 'chromium' }],
            },
          },
        },
      ],
    },
  }),
);
