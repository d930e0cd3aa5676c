// `trvae-web <command> …`: each command is one module in ./commands exporting `run(args)`.

export interface CliCommand {
  readonly summary: string;
  readonly usage: string;
  run(args: string[]): Promise<number>;
}

type CommandModule = { command: CliCommand };

// Lazy imports keep `trvae-web inspect` from loading ONNX Runtime, and so on.
const commands: Record<string, () => Promise<CommandModule>> = {};

export function registerCommand(name: string, load: () => Promise<CommandModule>): void {
  commands[name] = load;
}

async function help(): Promise<string> {
  const lines = ['usage: trvae-web <command> [options]', '', 'commands:'];
  for (const [name, load] of Object.entries(commands)) {
    const { command } = await load();
    lines.push(`  ${name.padEnd(10)} ${command.summary}`);
  }
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  // Commands read zarr in this thread (inspect, rows, convert, train): decode blosc with the fast codec.
  const { installFastBlosc } = await import('../loader/codecs/blosc.ts');
  installFastBlosc();
  await import('./commands/index.ts');
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(await help());
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    console.error(`trvae-web: unknown command "${name}"\n\n${await help()}`);
    return 2;
  }
  const { command } = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    console.error(`trvae-web ${name}: ${(e as Error).message}`);
    return 1;
  }
}
