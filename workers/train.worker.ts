// Dedicated worker: training (src/model/train/worker-api.ts).
import { installFastBlosc } from '../src/loader/codecs/blosc.ts';
import { createTrainWorkerApi } from '../src/model/train/worker-api.ts';
import { exposeWorkerApi } from '../src/rpc/expose.ts';

// Obs, metadata and (without read workers) X are decoded in this thread: use the fast blosc codec.
installFastBlosc();
exposeWorkerApi(createTrainWorkerApi());
