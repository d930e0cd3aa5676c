// trVAE's multi-scale RBF kernel for the MMD term of the training graph (src/model/trvae/mmd.ts).

/** σ of the kernel, used as a variance: k = (1/19) Σ_s exp(−‖a − b‖² / (2σ_s)). */
export const MMD_SIGMAS = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 5, 10, 15, 20, 25, 30, 35, 100, 1e3, 1e4, 1e5, 1e6] as const;
