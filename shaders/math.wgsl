// Shared f32 helpers, included by the kernels that list it (src/gpu/kernel.ts assembles the source).
// WGSL's log() and exp() only promise ~2^-21 absolute error near 0, so small arguments use series.

fn log1p_f32(x: f32) -> f32 {
  if (abs(x) < 0.05) {
    // x − x²/2 + x³/3 − x⁴/4 + x⁵/5: truncation error < 1e-8 relative for |x| < 0.05.
    return x * (1.0 + x * (-0.5 + x * (1.0 / 3.0 + x * (-0.25 + x * 0.2))));
  }
  return log(1.0 + x);
}

fn expm1_f32(x: f32) -> f32 {
  if (abs(x) < 0.05) {
    // x + x²/2 + x³/6 + x⁴/24 + x⁵/120: truncation error < 1e-10 relative for |x| < 0.05.
    return x * (1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0)))));
  }
  return exp(x) - 1.0;
}
