// The page never freezes: while the demo trains and when its results appear, no task of the page's
// main thread holds a frame for 200 ms or more. Measured in Chromium with Long Animation Frame
// entries (LoAF, the browser's own account of each slow frame, with the scripts that ran in it and
// its blocking time; 'longtask' where LoAF is missing). Whole-frame times and the gaps between
// requestAnimationFrame callbacks are printed and kept, not asserted: without a GPU, Chromium
// rasterises and composites on the CPU cores the training worker uses, so on a 2-core machine they
// measure the machine (frames of 500 ms with no script and no blocking task), not the page. A
// Chromium performance trace of the run is kept as a test artifact (open it in DevTools).
import { writeFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { fillTrainForm, frameProbe, readFrames, resetFrames } from './helpers.ts';

const limitMs = 200;

// Up to two more tries: on a shared 2-core host the same commit's longest task measured 101 ms one
// day and 215-256 ms the next (the page's tasks run on the cores the training worker, Chromium's
// raster and other tenants use). Each try must pass the whole check; a slower page fails all three.
test.describe.configure({ retries: 2 });

test('no main-thread task of 200 ms or more while training and when the results appear', async ({ page, browser }, testInfo) => {
  // A loaded 2-core machine trains slowly; the limit is on frames, not on the run's length.
  test.setTimeout(300_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.addInitScript(frameProbe);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto('/');
  await page.getByTestId('demo-button').click();
  await fillTrainForm(page, { holdout: { cellType: 'NK', condition: 'stimulated' }, genes: 200, epochs: 2, hidden: '32, 16', latent: 8, batchSize: 256 });

  // From the click on: training, the live charts, the results (the scope of the limit).
  const trace = testInfo.outputPath('chromium-trace.json');
  await browser.startTracing(page, { path: trace, screenshots: false, categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline.frame', 'blink.user_timing'] });
  await resetFrames(page);
  await page.getByTestId('train-button').click();
  await expect(page.getByTestId('train-status')).toContainText(/Epoch \d\/2/, { timeout: 90_000 });
  const during = await readFrames(page);
  await expect(page.getByTestId('results-panel')).toBeVisible({ timeout: 240_000 });
  await expect(page.getByTestId('r2-table')).toBeVisible({ timeout: 30_000 });
  // Frames after the results are drawn count too: wait for ten more animation frames.
  await page.evaluate(() => new Promise<void>((resolve) => {
    let n = 0;
    const tick = () => (++n >= 10 ? resolve() : requestAnimationFrame(tick));
    requestAnimationFrame(tick);
  }));
  const frames = await readFrames(page);
  await browser.stopTracing();

  const report = {
    api: frames.api,
    framesSeen: frames.rafFrames,
    longestTaskMs: Math.round(frames.longestTaskMs),
    longestFrameMs: Math.round(frames.longestMs),
    longestRafGapMs: Math.round(frames.longestRafGapMs),
    duringTrainingLongestMs: Math.round(during.longestMs),
    longest: frames.longest,
    duringTraining: during.longest,
  };
  console.log(`responsiveness: ${JSON.stringify(report)}`);
  writeFileSync(testInfo.outputPath('frames.json'), JSON.stringify(report, null, 2));
  await testInfo.attach('frames', { path: testInfo.outputPath('frames.json'), contentType: 'application/json' });
  await testInfo.attach('chromium-trace', { path: trace, contentType: 'application/json' });

  expect(frames.rafFrames, 'animation frames ran during the measurement').toBeGreaterThan(10);
  expect(frames.longestTaskMs, `longest main-thread task (${frames.api}); the frames with the longest tasks: ${JSON.stringify(frames.longestTasks)}`).toBeLessThan(limitMs);
  expect(errors).toEqual([]);
});
