// Debian's Chromium, headless, as this machine's notes require: a fresh profile every launch
// and no background networking (the closed network refuses those connections, many at a
// time). playwright-core drives it; it downloads no browser of its own.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

export function launch(tmpdir, options = {}) {
  return chromium.launchPersistentContext(fs.mkdtempSync(path.join(tmpdir || '/tmp', 'chromium-')), {
    executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1280, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    ...options,
  });
}
