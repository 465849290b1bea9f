import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../src/dev/binaries.ts';

const execFileAsync = promisify(execFile);
const buildScript = join(repoRoot, 'scripts', 'image', 'build.sh');

/** An image and the docker-archive tarball it was saved to. */
export interface LocalImage {
  ref: string;
  archive: string;
}

/** berth's image and the node's sandbox ("pause") image, built locally with podman. */
export interface LocalImages {
  berth: LocalImage;
  pause: LocalImage;
}

/** Where scripts/image/build.sh puts the images, without building anything. */
export async function imagePaths(): Promise<LocalImages> {
  const { stdout } = await execFileAsync('bash', [buildScript, '--print-paths']);
  const values = Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .map((line) => line.split('=', 2) as [string, string]),
  );
  const need = (key: string): string => {
    const value = values[key];
    if (!value) throw new Error(`${buildScript} --print-paths did not print ${key}`);
    return value;
  };
  return {
    berth: { ref: need('BERTH_IMAGE'), archive: need('BERTH_IMAGE_ARCHIVE') },
    pause: { ref: need('PAUSE_IMAGE'), archive: need('PAUSE_IMAGE_ARCHIVE') },
  };
}

/**
 * Builds the images from the working tree (`npm run image`; warm when nothing changed) and returns
 * where they are. The e2e suite tests the image of the code under test, never an older one.
 */
export async function ensureImages(): Promise<LocalImages> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [buildScript], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${buildScript} failed with exit code ${code}`)),
    );
  });
  return imagePaths();
}
