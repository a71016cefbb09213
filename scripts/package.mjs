// npm run package: dist/ipper_<version>_<arch>.deb from dist/ipper (npm run build first) and pkg/,
// with dpkg-deb. Downloads nothing. What goes where, and why:
//   /usr/bin/ipper, /usr/bin/ipper-runtime → ipper   the binary; Docker's runtime link
//   /opt/cni/bin/ipper, /usr/lib/cni/ipper → /usr/bin/ipper
//                                                      the CNI plugin, where runtimes look for type "ipper"
//   /usr/share/containers/oci/hooks.d/ipper.json      where Podman reads hooks by default (see
//                                                      src/cli/hooks-files.ts), pointing at /usr/bin/ipper
//   /etc/ipper/config.json                            the default config, a conffile
//   /lib/systemd/system/ipper-supervisor.service      for operators who enable it (not enabled)
//   /etc/logrotate.d/ipper                            rotation; the supervisor reopens on SIGHUP
//   /usr/share/man/man1/ipper.1.gz                    man ipper
//   DEBIAN/postinst, prerm, postrm                    the Docker runtime in daemon.json (via the
//                                                      binary: ipper install|uninstall --package), purge
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { version, description } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch];
if (arch === undefined) throw new Error(`no Debian architecture for ${process.arch}`);
const binary = join(root, 'dist/ipper');
if (!existsSync(binary)) throw new Error('dist/ipper is missing: npm run build first');
const built = execFileSync(binary, ['--version'], { encoding: 'utf8', env: {} }).trim();
if (built !== version) throw new Error(`dist/ipper is version ${built}, package.json says ${version}: npm run build`);

const BIN = '/usr/bin/ipper';
const stage = join(root, 'dist/deb');
const deb = join(root, `dist/ipper_${version}_${arch}.deb`);
rmSync(stage, { recursive: true, force: true });

function put(path, content, mode = 0o644) {
  const target = join(stage, path);
  mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
  writeFileSync(target, content);
  chmodSync(target, mode);
}

put(BIN, readFileSync(binary), 0o755);
symlinkSync('ipper', join(stage, '/usr/bin/ipper-runtime'));
for (const dir of ['/opt/cni/bin', '/usr/lib/cni']) {
  mkdirSync(join(stage, dir), { recursive: true, mode: 0o755 });
  symlinkSync(BIN, join(stage, dir, 'ipper'));
}

const entry = JSON.parse(readFileSync(join(root, 'hooks.d/ipper.json'), 'utf8'));
put('/usr/share/containers/oci/hooks.d/ipper.json', `${JSON.stringify({ ...entry, hook: { ...entry.hook, path: BIN } }, null, 2)}\n`);
put('/etc/ipper/config.json', readFileSync(join(root, 'pkg/config.json')));
put('/etc/logrotate.d/ipper', readFileSync(join(root, 'pkg/logrotate')));

// The unit names /usr/local/bin/ipper for `ipper install`; the package's binary is in /usr/bin.
const unit = readFileSync(join(root, 'pkg/ipper-supervisor.service'), 'utf8');
if (!unit.includes('ExecStart=/usr/local/bin/ipper supervisor')) throw new Error('pkg/ipper-supervisor.service: ExecStart is not "/usr/local/bin/ipper supervisor"');
put('/lib/systemd/system/ipper-supervisor.service', unit.replace('ExecStart=/usr/local/bin/ipper supervisor', `ExecStart=${BIN} supervisor`));

// mtime 0 in the gzip header: the same source gives the same file.
put('/usr/share/man/man1/ipper.1.gz', gzipSync(readFileSync(join(root, 'pkg/ipper.1')), { level: 9 }));
put('/usr/share/doc/ipper/copyright', `ipper ${version}\nLicense: MIT (see package.json)\n`);

for (const script of ['postinst', 'prerm', 'postrm']) put(`/DEBIAN/${script}`, readFileSync(join(root, 'pkg/deb', script)), 0o755);
put('/DEBIAN/conffiles', readFileSync(join(root, 'pkg/deb/conffiles')));
const installedKiB = Number(execFileSync('/usr/bin/du', ['-sk', '--exclude=DEBIAN', stage], { encoding: 'utf8' }).split('\t')[0]);
put('/DEBIAN/control', [
  'Package: ipper',
  `Version: ${version}`,
  `Architecture: ${arch}`,
  'Maintainer: ipper maintainers <root@localhost>',
  `Installed-Size: ${installedKiB}`,
  // The binary carries Node.js (glibc, libstdc++); ip, nsenter, the DHCP client and nft are run by
  // path. dhcpcd is the default client (config dhcpClient); dhclient and udhcpc are the others.
  'Depends: libc6, libstdc++6, libgcc-s1, iproute2, util-linux, dhcpcd-base, nftables',
  'Recommends: runc',
  'Suggests: podman | docker.io, logrotate, udhcpc, isc-dhcp-client',
  'Section: net',
  'Priority: optional',
  `Description: ${description}`,
  ' An OCI runtime hook (Podman, runc; Docker through the ipper runtime) that gives each annotated',
  ' container a veth on a bridge of the host and a DHCP lease from the LAN, kept and renewed by a',
  ' per-host supervisor and released when the container stops.',
  '',
].join('\n'));

rmSync(deb, { force: true });
// gzip: xz takes a minute over the ~100 MiB binary on a small machine.
execFileSync('/usr/bin/dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', stage, deb], { stdio: 'inherit' });
rmSync(stage, { recursive: true, force: true });
