// The version esbuild writes into the bundle (package.json's); "0.0.0-dev" when run unbundled.
declare const __IPPER_VERSION__: string | undefined;
export const VERSION = typeof __IPPER_VERSION__ === 'string' ? __IPPER_VERSION__ : '0.0.0-dev';
