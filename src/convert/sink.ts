// Where a writer puts files: a local directory in Node, an OPFS directory in the browser.

export interface StoreSink {
  /** Label for messages (directory path). */
  readonly label: string;
  /** Writes (replacing) the file at a '/'-separated path relative to the store root. */
  write(path: string, bytes: Uint8Array): Promise<void>;
}

/** A sink into a directory of the local file system (Node only). */
export async function directorySink(root: string): Promise<StoreSink> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  const { dirname, join } = await import('node:path');
  const made = new Set<string>();
  return {
    label: root,
    async write(path, bytes) {
      const file = join(root, ...path.split('/'));
      const dir = dirname(file);
      if (!made.has(dir)) {
        await mkdir(dir, { recursive: true });
        made.add(dir);
      }
      await writeFile(file, bytes);
    },
  };
}

/** A sink into an OPFS directory (browser; main thread or worker). */
export function opfsSink(root: FileSystemDirectoryHandle, label = root.name): StoreSink {
  return {
    label,
    async write(path, bytes) {
      const parts = path.split('/');
      let dir = root;
      for (const part of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(part, { create: true });
      const file = await dir.getFileHandle(parts[parts.length - 1]!, { create: true });
      const writable = await file.createWritable();
      await writable.write(bytes as Uint8Array<ArrayBuffer>);
      await writable.close();
    },
  };
}
