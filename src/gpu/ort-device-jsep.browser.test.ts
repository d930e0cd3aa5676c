import * as ort from 'onnxruntime-web';
import { describe, it } from 'vitest';
import { checkBatchContract } from './ort-contract.testkit.ts';

describe('kernels on the GPUDevice of ONNX Runtime (default onnxruntime-web build, JSEP)', () => {
  it('a gathered batch, its one-hot conditions, eps and a dropout mask feed a session as GPU tensors', () => checkBatchContract(ort));
});
