// One line per command; each command lives in its own file in this folder.
import { registerCommand } from '../main.ts';

registerCommand('version', () => import('./version.ts'));
registerCommand('inspect', () => import('./inspect.ts'));
registerCommand('rows', () => import('./rows.ts'));
registerCommand('convert', () => import('./convert.ts'));
registerCommand('serve', () => import('./serve.ts'));
registerCommand('train', () => import('./train.ts'));
registerCommand('evaluate', () => import('./evaluate.ts'));
