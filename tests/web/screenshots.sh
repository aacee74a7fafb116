#!/usr/bin/env bash
# The README's screenshots: a few groups doing something for a while (CPU, memory, a frozen
# one), on a per-run root the trap removes, then the overview and a group
# page in Chromium. Not part of make check. Usage: tests/web/screenshots.sh [BIN] [OUTDIR]
set -u
cd "$(dirname "$0")/../.."
BIN=${1:-build}
OUT=${2:-docs}
. tests/integration/lib.sh
mkdir -p "$OUT"
start_daemon --interval 1s || exit 1
ns='"namespaces":["pid","mount","uts","ipc","net"]'
mk() { api POST /api/v1/groups "$1"; [ "$STATUS" = 201 ] || { echo "create $1: $STATUS $BODY" >&2; exit 1; }; }
mk '{"name":"web","limits":{"memory":{"max":"1G"},"cpu":{"max":1.5}}}'
mk '{"name":"web-api","parent":"web","limits":{"memory":{"max":"256M"},"cpu":{"max":1},"pids":{"max":200}}}'
mk '{"name":"web-static","parent":"web","limits":{"memory":{"max":"64M"}}}'
mk '{"name":"db","limits":{"memory":{"max":"512M"},"cpu":{"weight":400}}}'
mk '{"name":"batch","limits":{"cpu":{"max":0.25}}}'
mk '{"name":"batch-nightly","parent":"batch"}'
run web-api "{\"argv\":[\"sh\",\"-c\",\"echo api listening on :8080; x=\$(yes abcdefghijklmnop | head -c 40000000); while :; do i=0; while [ \$i -lt 20000 ]; do i=\$((i+1)); done; sleep 0.2; done\"],$ns,\"hostname\":\"api\"}"
run web-static "{\"argv\":[\"sleep\",\"1000\"],$ns}"
run db "{\"argv\":[\"sleep\",\"1000\"],$ns}"
run batch "{\"argv\":[\"sh\",\"-c\",\"while :; do :; done\"],$ns}"
run batch-nightly "{\"argv\":[\"sleep\",\"1000\"],$ns}"
api POST /api/v1/groups/batch-nightly/freeze
echo "# letting them run for ${SECONDS_OF_HISTORY:-150} s" >&2
sleep "${SECONDS_OF_HISTORY:-150}"
BASE=http://127.0.0.1:$PORT TOKEN=$(cat "$TOKEN_FILE") OUT=$OUT TMPDIR=$TMP timeout 120 node - <<'JS'
import(process.cwd() + '/tests/web/chromium.mjs').then(async ({ launch }) => {
  const { BASE, TOKEN, OUT, TMPDIR } = process.env;
  const ctx = await launch(TMPDIR, { viewport: { width: 1280, height: 760 } });
  const page = await ctx.newPage();
  await page.goto(`${BASE}/#token=${TOKEN}`);
  await page.locator('a[href="#/group/web-api"]').waitFor();
  await page.waitForTimeout(2500);
  await page.screenshot({ path: OUT + '/dashboard-overview.png' });
  await page.click('a[href="#/group/web-api"]');
  await page.getByLabel('Range').selectOption('15m');
  await page.locator('#chart-memory canvas').waitFor();
  await page.getByRole('button', { name: /^Log of process/ }).first().click();
  await page.waitForTimeout(2000);
  await page.screenshot({ path: OUT + '/dashboard-group.png', fullPage: true });
  await ctx.close();
}).catch((e) => { console.error(e); process.exit(1); });
JS
