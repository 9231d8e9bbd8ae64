import { type Browser, chromium } from 'playwright-core';

/** Debian's chromium (scripts/test-prereqs.mjs installs it where missing); playwright never downloads a browser of its own. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Headless chromium that talks to nothing but the pages a test opens: without the background-networking flags it
 * tries Google's hosts at every start, which a closed network refuses.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}
