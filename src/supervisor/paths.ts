// Where the supervisor keeps its files inside the state directory.
export interface SupervisorPaths {
  stateDir: string;
  lockTarget: string;
  socket: string;
  pidFile: string;
  eventsDir: string;
  clientLogsDir: string;
}

export function supervisorPaths(stateDir: string): SupervisorPaths {
  return {
    stateDir,
    lockTarget: `${stateDir}/supervisor.lock`,
    socket: `${stateDir}/supervisor.sock`,
    pidFile: `${stateDir}/supervisor.pid`,
    eventsDir: `${stateDir}/events`,
    clientLogsDir: `${stateDir}/clients`,
  };
}
