import { describe, expect, it } from 'vitest';
import { leaveRuntimeCgroup, parseCgroupMounts, parseProcCgroup, planCgroupMoves, supervisorLaunchCommand } from '../../../src/sys/cgroup.js';

// This machine's shape: cgroup v1 hybrid, PID 1 not systemd, a runtime's job in a memory cgroup.
const HYBRID_CGROUP = ['9:name=systemd:/docker.service', '8:pids:/docker.service', '4:memory:/process_api/93b7', '3:cpuset:/', '1:cpu,cpuacct:/docker.service', '0::/', ''].join('\n');
const HYBRID_MOUNTS = [
  '30 25 0:26 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '31 30 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
  '32 30 0:28 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset,clone_children',
  '33 30 0:29 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '34 30 0:30 / /sys/fs/cgroup/pids rw,relatime shared:9 - cgroup cgroup rw,pids',
  '35 30 0:31 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd',
  '36 30 0:32 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate',
  '',
].join('\n');

describe('parseProcCgroup', () => {
  it('reads v1 controllers, names and the unified line', () => {
    expect(parseProcCgroup(HYBRID_CGROUP)).toStrictEqual([
      { hierarchyId: 9, controllers: ['name=systemd'], path: '/docker.service' },
      { hierarchyId: 8, controllers: ['pids'], path: '/docker.service' },
      { hierarchyId: 4, controllers: ['memory'], path: '/process_api/93b7' },
      { hierarchyId: 3, controllers: ['cpuset'], path: '/' },
      { hierarchyId: 1, controllers: ['cpu', 'cpuacct'], path: '/docker.service' },
      { hierarchyId: 0, controllers: [], path: '/' },
    ]);
  });

  it('skips lines that are not id:controllers:path', () => {
    expect(parseProcCgroup('garbage\n1:cpu\n0::/a:b\n')).toStrictEqual([{ hierarchyId: 0, controllers: [], path: '/a:b' }]);
  });
});

describe('parseCgroupMounts', () => {
  it('keeps cgroup and cgroup2 mounts with their controllers, drops mount options that are not controllers', () => {
    expect(parseCgroupMounts(HYBRID_MOUNTS)).toStrictEqual([
      { mountPoint: '/sys/fs/cgroup/cpu,cpuacct', root: '/', version: 1, controllers: ['cpu', 'cpuacct'] },
      { mountPoint: '/sys/fs/cgroup/cpuset', root: '/', version: 1, controllers: ['cpuset'] },
      { mountPoint: '/sys/fs/cgroup/memory', root: '/', version: 1, controllers: ['memory'] },
      { mountPoint: '/sys/fs/cgroup/pids', root: '/', version: 1, controllers: ['pids'] },
      { mountPoint: '/sys/fs/cgroup/systemd', root: '/', version: 1, controllers: ['name=systemd'] },
      { mountPoint: '/sys/fs/cgroup/unified', root: '/', version: 2, controllers: [] },
    ]);
  });

  it('unescapes octal blanks in mount points', () => {
    expect(parseCgroupMounts('40 25 0:33 / /mnt/my\\040cgroup rw - cgroup2 cgroup2 rw\n')[0]!.mountPoint).toBe('/mnt/my cgroup');
  });
});

describe('planCgroupMoves', () => {
  it('moves to <hierarchy>/ipper in the process-tracking hierarchies the runtime put us in; resource controllers and the unified root stay', () => {
    expect(planCgroupMoves(parseProcCgroup(HYBRID_CGROUP), parseCgroupMounts(HYBRID_MOUNTS))).toStrictEqual([
      { dir: '/sys/fs/cgroup/systemd/ipper', hierarchyRoot: '/sys/fs/cgroup/systemd', controllers: ['name=systemd'] },
    ]);
  });

  it('pure cgroup v2: the unified hierarchy', () => {
    const mounts = parseCgroupMounts('29 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n');
    expect(planCgroupMoves(parseProcCgroup('0::/system.slice/docker.service\n'), mounts)).toStrictEqual([{ dir: '/sys/fs/cgroup/ipper', hierarchyRoot: '/sys/fs/cgroup', controllers: [] }]);
  });

  it('nothing to do where we are at the root or in ipper already, or the hierarchy is not mounted from its root', () => {
    const mounts = parseCgroupMounts(['29 23 0:26 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw', '30 23 0:27 /lxc/c1 /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids', ''].join('\n'));
    expect(planCgroupMoves(parseProcCgroup('8:pids:/lxc/c1/docker\n0::/ipper\n'), mounts)).toStrictEqual([]);
    expect(planCgroupMoves(parseProcCgroup('0::/\n'), mounts)).toStrictEqual([]);
    expect(planCgroupMoves(parseProcCgroup('4:memory:/docker\n'), mounts)).toStrictEqual([]);
  });
});

describe('supervisorLaunchCommand', () => {
  const command = ['/usr/bin/ipper', 'supervisor'];
  it('without systemd: the command as it is (the supervisor moves itself)', () => {
    expect(supervisorLaunchCommand(command, { IPPER_CONFIG: '/etc/x.json' }, false, '', 'abcd')).toStrictEqual(command);
  });

  it('under systemd: a transient unit of its own that keeps the clients when it stops, with the environment passed on', () => {
    expect(supervisorLaunchCommand(command, { IPPER_CONFIG: '/etc/x.json' }, true, '/usr/bin/systemd-run', 'abcd')).toStrictEqual([
      '/usr/bin/systemd-run', '--quiet', '--collect', '--unit=ipper-supervisor-abcd', '--description=ipper supervisor (started by a hook)',
      '--property=KillMode=process', '--setenv=IPPER_CONFIG=/etc/x.json', '--', '/usr/bin/ipper', 'supervisor',
    ]);
  });
});

describe('leaveRuntimeCgroup', () => {
  it('under systemd moves nothing: the supervisor runs as a unit of its own', () => {
    const log = { info: () => undefined, warn: () => undefined };
    expect(leaveRuntimeCgroup(log, true)).toStrictEqual({ moved: [], failed: [] });
  });
});
