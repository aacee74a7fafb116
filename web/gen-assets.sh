#!/bin/sh
# Builds the dashboard: web/ plus uPlot from node_modules (pinned by package-lock.json) into
# OUT/web/, then OUT/gen/web-assets.c, which compiles them into the daemon.
#
# Everything but index.html is served under /static/<hash>/, the hash of all the files, so
# those URLs never change content and can be cached for good ("immutable"); index.html names
# the current hash and is revalidated on every load (its ETag makes that a 304).
set -eu
out=$1
src=$(dirname "$0")
uplot=node_modules/uplot/dist
if [ ! -f "$uplot/uPlot.iife.min.js" ]; then
        echo "gen-assets: $uplot/uPlot.iife.min.js is missing: run 'make deps' (npm ci)" >&2
        exit 1
fi
files=$out/web.tmp/files
rm -rf "$out/web.tmp" && mkdir -p "$files" "$out/web.tmp/static" "$out/gen"
cp "$src"/*.js "$src"/*.css "$src"/*.svg "$files/"
cp "$uplot/uPlot.iife.min.js" "$files/uplot.min.js"
cp "$uplot/uPlot.min.css" "$files/uplot.min.css"
hash=$(cat "$files"/* "$src/index.html" | sha256sum | cut -c1-12)
mv "$files" "$out/web.tmp/static/$hash"
sed "s|@STATIC@|/static/$hash|g" "$src/index.html" > "$out/web.tmp/index.html"
rm -rf "$out/web" && mv "$out/web.tmp" "$out/web"

c=$out/gen/web-assets.c
{
        echo '#include "web-assets.h"'
        i=0
        for f in $(cd "$out/web" && find . -type f | sort); do
                echo "static const unsigned char a$i[] = {"
                od -An -v -tx1 "$out/web/$f" | sed 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'
                echo '};'
                i=$((i + 1))
        done
        echo 'const WebAsset web_assets[] = {'
        i=0
        for f in $(cd "$out/web" && find . -type f | sort); do
                case "$f" in
                *.html) t='text/html; charset=utf-8' ;;
                *.js) t='text/javascript; charset=utf-8' ;;
                *.css) t='text/css; charset=utf-8' ;;
                *.svg) t='image/svg+xml' ;;
                *) echo "gen-assets: no content type for $f" >&2; exit 1 ;;
                esac
                etag=$(sha256sum "$out/web/$f" | cut -c1-16)
                case "$f" in ./static/*) imm=true ;; *) imm=false ;; esac
                echo "{ \"${f#.}\", \"$t\", \"\\\"$etag\\\"\", $imm, a$i, sizeof a$i },"
                i=$((i + 1))
        done
        echo '{ 0 } };'
} > "$c.tmp" && mv "$c.tmp" "$c"
