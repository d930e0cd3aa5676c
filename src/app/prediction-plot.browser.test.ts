// The predicted vs real scatter in Chromium: uPlot draws it, hovering a point names its gene (and
// says when it is one of the top DEGs), leaving the plot hides the name.
import { afterEach, describe, expect, it } from 'vitest';
import { nearestPoint, predictionPlot } from './prediction-plot.ts';

const G = 50;
const meanPoints = new Float32Array(2 * G);
for (let g = 0; g < G; g++) meanPoints.set([g / 10, g / 10 + (g % 3) * 0.05], 2 * g);
const geneNames = Array.from({ length: G }, (_, g) => `gene${String(g).padStart(4, '0')}`);

afterEach(() => document.body.replaceChildren());

describe('prediction plot', () => {
  it('nearestPoint: the closest point within the radius, or none', () => {
    expect(nearestPoint([0, 10, 20], [0, 10, 20], 11, 9, 5)).toBe(1);
    expect(nearestPoint([0, 10, 20], [0, 10, 20], 15, 0, 5)).toBe(-1);
  });

  it('hovering a point shows its gene name, predicted and real mean; leaving hides it', async () => {
    const plot = predictionPlot({ meanPoints, geneNames, degs: [7, 3], title: 'test' });
    document.body.append(plot.element);
    // uPlot sizes its plotting area when it commits (a microtask after construction).
    await new Promise((resolve) => requestAnimationFrame(resolve));
    const over = plot.element.querySelector<HTMLElement>('.u-over');
    const tooltip = plot.element.querySelector<HTMLElement>('[data-testid=prediction-tooltip]');
    if (!over || !tooltip) throw new Error('no plotting area');
    expect(plot.element.querySelectorAll('canvas').length).toBeGreaterThan(0);
    expect(tooltip.hidden).toBe(true);
    expect(plot.element.querySelectorAll('.u-axis')).toHaveLength(2);
    // Gene 7 (predicted 0.7, real 0.75) lies near the diagonal, as every gene here.
    const box = over.getBoundingClientRect();
    expect(box.width).toBeGreaterThan(100);
    let shown = '';
    for (let i = 0; i <= 200 && !shown; i++) {
      const t = i / 200;
      over.dispatchEvent(new MouseEvent('mousemove', { clientX: box.left + t * box.width, clientY: box.bottom - t * box.height, bubbles: true }));
      if (!tooltip.hidden && tooltip.textContent?.startsWith('gene0007')) shown = tooltip.textContent;
    }
    expect(shown).toBe('gene0007predicted 0.700 · real 0.750one of the top 2 DEGs');
    over.dispatchEvent(new MouseEvent('mouseleave'));
    expect(tooltip.hidden).toBe(true);
    plot.destroy();
  });
});
