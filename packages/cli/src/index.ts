/**
 * `@scopeguard/cli`: the `scopeguard` command (`explain`, `doctor`, `dev-server`). Most users run the bin
 * (`npx scopeguard explain …`); this entry point lets a script or a test run the same commands in-process.
 * Importing it has no side effects: nothing runs until {@link main} is called.
 *
 * @packageDocumentation
 */
export { main, TOP_HELP, version } from './main.js';
export { EXIT } from './exit-codes.js';
export type { Io } from './output.js';
