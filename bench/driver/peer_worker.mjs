// A peer's worker process (graphile-worker or pg-boss), forked by peers.mjs with Node >= 22 and
// configured over IPC, run as the peer's users run it: a worker process beside the producer.
//
// Handlers: `ping` sends a datagram to the driver as its first action (trigger latency: the same
// signal jobd's job process sends); `noop` does nothing (in-process work, which favours the
// peers); `spawn` runs /bin/true as a child process and waits for it (what running a command
// costs their users, like for like with jobd). The worker reports `done` per job (latency) or
// `drained` once as many handlers as the last `expect` message said have returned (throughput).
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';

import { ImportPeerPackage } from './lib.mjs';

const udp = dgram.createSocket('udp4');
let options;
let handled = 0;
let stopWorker = async () => {};

function RunTrue() {
    return new Promise((resolve, reject) => {
        const child = spawn('/bin/true', [], { stdio: 'ignore' });
        child.once('error', reject);
        child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`/bin/true exited ${code}`))));
    });
}

async function Handle(job_id) {
    if (options.handler === 'ping') {
        // jobd-bench-ping's format: id, no nominal time, the start by both clocks (ns).
        const started_ns = process.hrtime.bigint();
        udp.send(`${job_id} - ${BigInt(Date.now()) * 1000000n} ${started_ns}`, options.ping_port, '127.0.0.1');
    } else if (options.handler === 'spawn') {
        await RunTrue();
    }
}

function Handled() {
    handled++;
    if (options.handler === 'ping') {
        process.send({ type: 'done' });
    } else if (handled === options.expect) {
        process.send({ type: 'drained' });
    }
}

async function StartGraphile() {
    const { run } = await ImportPeerPackage('graphile-worker');
    const runner = await run({
        connectionString: options.db_url,
        concurrency: options.concurrency,
        maxPoolSize: Math.max(10, options.concurrency + 2), // the docs' advice
        noHandleSignals: true,
        taskList: {
            bench: async (_payload, helpers) => {
                await Handle(helpers.job.id);
                setImmediate(Handled);
            },
        },
        preset: {
            worker: options.batched
                ? { localQueue: { size: options.concurrency + 1 }, completeJobBatchDelay: 0 }
                : {},
        },
    });
    return async () => runner.stop();
}

async function StartPgBoss() {
    const { PgBoss } = await ImportPeerPackage('pg-boss');
    const boss = new PgBoss({
        connectionString: options.db_url,
        max: Math.max(10, options.concurrency + 2),
        useListenNotify: options.notify,
        // The burst trigger below reads the queue's ready count from stats refreshed every 60 s
        // by default; a backlog of seconds needs them every second.
        ...(options.drain && !options.batched ? { monitorIntervalSeconds: 1, queueCacheIntervalSeconds: 1 } : {}),
    });
    boss.on('error', (error) => console.error(`pg-boss: ${error.message}`));
    await boss.start();
    if (!(await boss.getQueue(options.queue))) {
        await boss.createQueue(options.queue, { notify: options.notify });
    }
    const work = {
        localConcurrency: options.concurrency,
        batchSize: options.batched ? options.batch_size : 1,
        ...(options.batched ? { burstWhenBatchFull: true } : {}),
        // Without batching a polling pg-boss worker takes one job per poll: draining a backlog
        // needs the burst trigger its docs give for that (bench/README.md).
        ...(options.drain && !options.batched ? { burstWhenReadyExceeds: 1 } : {}),
    };
    await boss.work(options.queue, work, async (jobs) => {
        for (const job of jobs) {
            await Handle(job.id);
            setImmediate(Handled);
        }
    });
    return async () => boss.stop({ graceful: true, wait: true });
}

// The driver is gone (it crashed or was killed): end with it rather than poll on.
process.on('disconnect', () => process.exit(0));

process.on('message', async (message) => {
    try {
        if (message.type === 'start') {
            options = message.options;
            stopWorker = options.peer === 'graphile' ? await StartGraphile() : await StartPgBoss();
            process.send({ type: 'ready' });
        } else if (message.type === 'expect') {
            options.expect = message.jobs;
            handled = 0;
        } else if (message.type === 'stop') {
            await stopWorker();
            udp.close();
            process.disconnect();
        }
    } catch (error) {
        console.error(error);
        process.exit(1);
    }
});
