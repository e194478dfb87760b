// Debian's Python clients (python3-kafka: kafka-python; python3-confluent-kafka:
// confluent-kafka on librdkafka) and the scripts the tests run with them.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Debian's interpreter, where python3-kafka and python3-confluent-kafka install (a pyenv python3 earlier on PATH has neither). */
export const PYTHON = '/usr/bin/python3';

export function hasPythonModule(module: string): boolean {
  return spawnSync(PYTHON, ['-c', `import ${module}`]).status === 0;
}

/** A script of test/fixtures/python/. */
export function pythonFixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/python/${name}`, import.meta.url));
}
