// The dashboard's pure parts in Node (node --test): the limit editor's checks must agree
// with the API's rules, and the command splitter with a shell's word splitting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSize, FIELDS, checkField, buildPatch, currentText } from '../../web/limits.js';
import { splitCommand, bytes, sizeInput, percent, securityFields, wallsSummary } from '../../web/format.js';

const field = (id) => FIELDS.find((f) => f.id === id);

test('sizes parse as the API parses them', () => {
  assert.equal(parseSize('4096'), 4096);
  assert.equal(parseSize('512M'), 512 * 2 ** 20);
  assert.equal(parseSize('1.5G'), 1.5 * 2 ** 30);
  assert.equal(parseSize('2GiB'), 2 * 2 ** 30);
  assert.equal(parseSize('3kb'), 3072);
  assert.equal(parseSize('8E'), null, 'over 2^63-1');
  for (const bad of ['', 'M', '1.5', '-1', '1 M', '1X', '0x10', '1.G']) assert.equal(parseSize(bad) === null, bad !== '1.5', bad);
});

test('memory limit: at least 1M, or max; text with a suffix is sent as typed', () => {
  const f = field('limit-memory-max');
  assert.deepEqual(checkField(f, '512K', {}), { error: 'at least 1M' });
  assert.deepEqual(checkField(f, '64M', {}), { value: '64M' });
  assert.deepEqual(checkField(f, '1048576', {}), { value: 1048576 });
  assert.deepEqual(checkField(f, 'max', {}), { value: 'max' });
  assert.ok(checkField(f, '12 apples', {}).error);
});

test('unchanged fields are not sent; emptied ones are removed (null)', () => {
  const limits = { memory: { max: 67108864 }, cpu: { max: 0.5 } };
  assert.equal(currentText(field('limit-memory-max'), limits), '64M');
  const texts = Object.fromEntries(FIELDS.map((f) => [f.id, currentText(f, limits)]));
  assert.deepEqual(buildPatch(texts, limits), { patch: {} });
  texts['limit-cpu-max'] = '';
  texts['limit-pids-max'] = '100';
  assert.deepEqual(buildPatch(texts, limits), { patch: { cpu: { max: null }, pids: { max: 100 } } });
  texts['limit-cpu-weight'] = '0';
  assert.deepEqual(Object.keys(buildPatch(texts, limits).errors), ['limit-cpu-weight']);
});

test('ranges: weights 1-10000, pids 0-4194304 or max, CPUs at least 0.01, cpu lists ordered', () => {
  assert.ok(checkField(field('limit-cpu-weight'), '10001', {}).error);
  assert.deepEqual(checkField(field('limit-io-weight'), '10000', {}), { value: 10000 });
  assert.deepEqual(checkField(field('limit-pids-max'), '0', {}), { value: 0 });
  assert.ok(checkField(field('limit-pids-max'), '4194305', {}).error);
  assert.ok(checkField(field('limit-cpu-max'), '0.001', {}).error);
  assert.deepEqual(checkField(field('limit-cpu-max'), '1.5', {}), { value: 1.5 });
  assert.deepEqual(checkField(field('limit-cpuset-cpus'), '0-1,3', {}), { value: '0-1,3' });
  assert.ok(checkField(field('limit-cpuset-cpus'), '3-1', {}).error);
  assert.ok(checkField(field('limit-cpuset-cpus'), '0;1', {}).error);
});

test('commands split like a shell, without expansion', () => {
  assert.deepEqual(splitCommand(`sh -c 'echo $HOME; ls'`), ['sh', '-c', 'echo $HOME; ls']);
  assert.deepEqual(splitCommand(`printf "%s\\n" a\\ b ''`), ['printf', '%s\\n', 'a b', '']);
  assert.deepEqual(splitCommand('  sleep   1  '), ['sleep', '1']);
  assert.deepEqual(splitCommand(''), []);
  assert.throws(() => splitCommand(`echo 'unterminated`), /unterminated/);
});

test('numbers for people', () => {
  assert.equal(bytes(0), '0 B');
  assert.equal(bytes(67108864), '64 MiB');
  assert.equal(bytes(1536), '1.50 KiB');
  assert.equal(bytes('max'), 'no limit');
  assert.equal(sizeInput(3 * 2 ** 30), '3G');
  assert.equal(sizeInput(1000), '1000');
  assert.equal(percent(0.5), '50%');
  assert.equal(percent(0.012), '1.2%');
});

test('io throttles: only changes are sent, per disk and field; a removed disk is null', async () => {
  const { buildIoPatch } = await import('../../web/limits.js');
  const cur = { io: { max: { '8:0': { rbps: 10485760, wiops: 100 } } } };
  const row = (disk, texts, remove) => ({ disk, texts, remove });
  assert.deepEqual(buildIoPatch([row('8:0', { rbps: '10485760', wiops: '100' })], cur), { patch: {} });
  assert.deepEqual(buildIoPatch([row('8:0', { rbps: '20M', wiops: '' })], cur),
    { patch: { io: { max: { '8:0': { rbps: '20M', wiops: null } } } } });
  assert.deepEqual(buildIoPatch([row('8:0', {}, true)], cur), { patch: { io: { max: { '8:0': null } } } });
  assert.deepEqual(buildIoPatch([row('/dev/vda', { riops: '50' })], cur), { patch: { io: { max: { '/dev/vda': { riops: 50 } } } } });
  assert.deepEqual(Object.keys(buildIoPatch([row('8:0', { rbps: 'fast' })], cur).errors), ['8:0/rbps']);
  assert.deepEqual(Object.keys(buildIoPatch([row('sda', { rbps: '1M' })], cur).errors), ['sda']);
  assert.deepEqual(Object.keys(buildIoPatch([row('8:16', { wiops: '0' })], cur).errors), ['8:16/wiops']);
});

test('the run form sends only the walls it loosens or adds', () => {
  const defaults = { readonly: false, seccomp: true, nnp: true, cgroupns: true, capAdd: '', capDrop: '', volumes: '' };
  assert.deepEqual(securityFields(defaults), {});
  assert.deepEqual(securityFields({ ...defaults, readonly: true, seccomp: false, nnp: false, cgroupns: false }),
    { readonly_rootfs: true, seccomp: 'unconfined', no_new_privileges: false, cgroupns: 'host' });
  assert.deepEqual(securityFields({ ...defaults, capAdd: 'NET_ADMIN, SYS_TIME', capDrop: 'ALL' }),
    { cap_add: ['NET_ADMIN', 'SYS_TIME'], cap_drop: ['ALL'] });
  assert.deepEqual(securityFields({ ...defaults, volumes: '/srv/a:/a:ro, /srv/b:/b' }),
    { mounts: [{ source: '/srv/a', target: '/a', readonly: true }, { source: '/srv/b', target: '/b' }] });
});

test('the process table sums up the walls', () => {
  const sec = { capabilities: ['CHOWN', 'KILL'], seccomp: 'default', no_new_privileges: true, cgroupns: 'private',
    readonly_rootfs: true, userns: { uid_base: 2147549184 }, mounts: [{ source: '/a', target: '/a' }] };
  assert.equal(wallsSummary(sec).text, '2 caps · seccomp · no new privileges · userns · read-only · 1 volume');
  assert.match(wallsSummary(sec).title, /CHOWN KILL/);
  assert.match(wallsSummary({ ...sec, devices: 'default' }).title, /devices: default list/);
  assert.match(wallsSummary({ ...sec, devices: 'group' }).title, /devices: the group's rules/);
  assert.equal(wallsSummary({ ...sec, capabilities: [], seccomp: 'unconfined', no_new_privileges: false, userns: null,
    readonly_rootfs: false, mounts: [] }).text, 'no caps · unconfined');
  assert.equal(wallsSummary({}).text, '–');
});
