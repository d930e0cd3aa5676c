// Dedicated worker: saves local copies into OPFS (src/convert/convert-worker-api.ts).
import { createConvertWorkerApi } from '../src/convert/convert-worker-api.ts';
import { installFastBlosc } from '../src/loader/codecs/blosc.ts';
import { exposeWorkerApi } from '../src/rpc/expose.ts';

installFastBlosc();
exposeWorkerApi(createConvertWorkerApi());
