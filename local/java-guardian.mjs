#!/usr/bin/env node
// Watchdog that runs a command (DynamoDB Local's JVM) and makes sure it never
// outlives the process that started it.
//
// Usage: node local/java-guardian.mjs <parentPid> -- <command> [args...]
//
// * The child is killed when the parent disappears, even if the parent was
//   SIGKILLed: we notice through EOF on our stdin (the parent holds the write
//   end of that pipe; the kernel closes it when the parent dies) and through
//   polling `process.kill(parentPid, 0)` / `process.ppid` every 500 ms.
// * SIGTERM / SIGINT / SIGHUP sent to the guardian are forwarded to the child;
//   if the child has not exited 3 s later it is SIGKILLed.
// * The guardian exits with the child's exit status once the child is gone.
// * The child's pid is reported as one JSON line on fd 3 when the parent
//   opened it as a pipe (`{"childPid":1234}`).
import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';

const POLL_MS = 500;
const KILL_GRACE_MS = 3000;

const argv = process.argv.slice(2);
const separator = argv.indexOf('--');
const parentPid = Number(argv[0]);
const command = separator >= 0 ? argv[separator + 1] : undefined;
const commandArgs = separator >= 0 ? argv.slice(separator + 2) : [];

if (!Number.isInteger(parentPid) || parentPid <= 0 || !command) {
  process.stderr.write('usage: java-guardian.mjs <parentPid> -- <command> [args...]\n');
  process.exit(2);
}

function parentAlive() {
  if (process.ppid !== parentPid) return false; // re-parented: our parent is gone
  try {
    process.kill(parentPid, 0);
    return true;
  } catch {
    // EPERM means the pid exists but belongs to someone else: not our parent any more.
    return false;
  }
}

if (!parentAlive()) process.exit(1);

const child = spawn(command, commandArgs, {
  stdio: ['ignore', 'inherit', 'inherit'],
  detached: false,
});

let childExited = false;
let killTimer;

child.on('error', (error) => {
  process.stderr.write(`java-guardian: failed to start ${command}: ${error.message}\n`);
  childExited = true;
  process.exit(127);
});

child.on('exit', (code, signal) => {
  childExited = true;
  if (killTimer) clearTimeout(killTimer);
  if (signal) process.exit(128 + (signalNumber(signal) ?? 15));
  process.exit(code ?? 1);
});

if (child.pid !== undefined) {
  try {
    writeSync(3, `${JSON.stringify({ childPid: child.pid })}\n`);
  } catch {
    // fd 3 not provided: nobody is interested in the pid.
  }
}

function signalNumber(signal) {
  const map = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return map[signal];
}

function killChild(signal) {
  if (childExited || child.pid === undefined) return;
  try {
    child.kill(signal);
  } catch {
    // already gone
  }
}

let terminating = false;
function terminate(signal = 'SIGTERM') {
  if (terminating) return;
  terminating = true;
  killChild(signal);
  killTimer = setTimeout(() => {
    killChild('SIGKILL');
    // The 'exit' handler ends the guardian; make sure we never hang.
    setTimeout(() => process.exit(1), 1000).unref();
  }, KILL_GRACE_MS);
}

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(signal, () => terminate(signal));
}

// Last-resort: if the guardian itself exits for any reason, take the child with it.
process.on('exit', () => {
  if (!childExited && child.pid !== undefined) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

// Writing to a pipe whose reader died must not crash the guardian before it
// has cleaned up.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

// EOF on stdin == the parent closed the pipe or died.
process.stdin.on('error', () => terminate('SIGTERM'));
process.stdin.on('end', () => terminate('SIGTERM'));
process.stdin.on('close', () => terminate('SIGTERM'));
process.stdin.resume();

const poll = setInterval(() => {
  if (!parentAlive()) {
    clearInterval(poll);
    terminate('SIGTERM');
  }
}, POLL_MS);
