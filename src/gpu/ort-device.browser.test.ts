import * as ort from 'onnxruntime-web/webgpu';
import { describe, it } from 'vitest';
import { checkBatchContract } from './ort-contract.testkit.ts';

describe('kernels on the GPUDevice of ONNX Runtime (onnxruntime-web/webgpu, native WebGPU EP)', () => {
  it('a gathered batch, its one-hot conditions, eps and a dropout mask feed a session as GPU tensors', () => checkBatchContract(ort));
});
