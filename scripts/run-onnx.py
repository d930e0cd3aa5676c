"""Runs an exported trvae-web graph in Python onnxruntime (the export's promise: loadable there).

  python scripts/run-onnx.py MODEL.onnx FEEDS.json   -> JSON {output name: flat list of values}

FEEDS.json: {input name: {"dims": [...], "data": [...]}}, float32. Used by src/model/export.test.ts
when a Python with onnxruntime is available (TRVAE_PYTHON, default python3).
"""
import json
import sys

import numpy as np
import onnxruntime as ort

session = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
with open(sys.argv[2]) as f:
    feeds = {k: np.asarray(v["data"], dtype=np.float32).reshape(v["dims"]) for k, v in json.load(f).items()}
names = [o.name for o in session.get_outputs()]
outputs = session.run(names, feeds)
print(json.dumps({"onnxruntime": ort.__version__, "outputs": {n: o.reshape(-1).tolist() for n, o in zip(names, outputs)}}))
