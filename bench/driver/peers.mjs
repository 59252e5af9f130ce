// The peers' side of the benchmark: their variants, a worker process per measurement (see
// peer_worker.mjs) and the producer in the driver that adds jobs as their users do.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { ImportPeerPackage, WaitFor } from './lib.mjs';

export const kBatchSize = 10; // pg-boss batchSize of the batched variants

// Each peer as its users run it: graphile-worker with its default LISTEN/NOTIFY, pg-boss with its
// default polling and with its opt-in NOTIFY, each with and without batched fetching.
export const kPeerVariants = [
    { id: 'graphile-worker', peer: 'graphile', notify: true, batched: false },
    { id: 'graphile-worker localQueue', peer: 'graphile', notify: true, batched: true },
    { id: 'pg-boss polling', peer: 'pgboss', notify: false, batched: false },
    { id: 'pg-boss polling batch', peer: 'pgboss', notify: false, batched: true },
    { id: 'pg-boss NOTIFY', peer: 'pgboss', notify: true, batched: false },
    { id: 'pg-boss NOTIFY batch', peer: 'pgboss', notify: true, batched: true },
];

function QueueName(variant) {
    return variant.notify ? 'bench-notify' : 'bench-polling';
}

// A worker process of one variant. `handler` is ping, noop or spawn; `drain` marks throughput
// runs (Drained says how many jobs to wait for).
export class PeerWorker {
    constructor(env, variant, { concurrency, handler, ping_port = 0, drain = false }) {
        this.env = env;
        this.variant = variant;
        this.options = {
            peer: variant.peer,
            db_url: variant.peer === 'graphile' ? env.graphile_db_url : env.pgboss_db_url,
            notify: variant.notify,
            batched: variant.batched,
            batch_size: kBatchSize,
            queue: QueueName(variant),
            concurrency,
            handler,
            ping_port,
            expect: 0,
            drain,
        };
        this.waiters = [];
    }

    async Start() {
        const log = fs.openSync(path.join(this.env.work_dir, `peer-${this.variant.peer}.log`), 'a');
        this.child = fork(new URL('./peer_worker.mjs', import.meta.url), [], {
            execPath: this.env.node22,
            stdio: ['ignore', log, log, 'ipc'],
        });
        fs.closeSync(log);
        this.exited = new Promise((resolve) => this.child.once('exit', resolve));
        this.child.on('message', (message) => {
            for (const waiter of this.waiters) {
                if (waiter.type === message.type) {
                    this.Settle(waiter);
                    waiter.resolve(message);
                    break;
                }
            }
        });
        this.child.once('exit', (code) => {
            for (const waiter of [...this.waiters]) {
                this.Settle(waiter);
                waiter.reject(new Error(`${this.variant.id}: worker exited (${code}); see peer-${this.variant.peer}.log`));
            }
        });
        const ready = this.Next('ready', 120_000);
        this.child.send({ type: 'start', options: this.options });
        await ready;
        return this;
    }

    Pid() {
        return this.child.pid;
    }

    // Resolves on the next message of `type`.
    Next(type, timeout_ms) {
        return new Promise((resolve, reject) => {
            const waiter = { type, resolve, reject };
            waiter.timer = setTimeout(() => {
                this.Settle(waiter);
                reject(new Error(`${this.variant.id}: no '${type}' within ${timeout_ms} ms`));
            }, timeout_ms);
            this.waiters.push(waiter);
        });
    }

    Settle(waiter) {
        clearTimeout(waiter.timer);
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
    }

    // Resolves once `jobs` more jobs were handled (the worker counts from now).
    Drained(jobs, timeout_ms) {
        const drained = this.Next('drained', timeout_ms);
        this.child.send({ type: 'expect', jobs });
        return drained;
    }

    async Stop() {
        if (this.child.exitCode === null) {
            this.child.send({ type: 'stop' });
            await this.exited;
        }
    }
}

// The producer: addJob / send from the driver's process, over a pool of `connections`.
export class PeerProducer {
    constructor(env, variant, connections) {
        this.env = env;
        this.variant = variant;
        this.connections = connections;
    }

    async Open() {
        const pg = (await ImportPeerPackage('pg')).default;
        if (this.variant.peer === 'graphile') {
            const { makeWorkerUtils } = await ImportPeerPackage('graphile-worker');
            this.pool = new pg.Pool({ connectionString: this.env.graphile_db_url, max: this.connections });
            // graphile-worker asks for error handlers on the pool and on each of its clients.
            const OnError = (error) => console.error(`graphile-worker producer: ${error.message}`);
            this.pool.on('error', OnError);
            this.pool.on('connect', (client) => client.on('error', OnError));
            this.utils = await makeWorkerUtils({ pgPool: this.pool });
            this.Add = () => this.utils.addJob('bench', {});
            this.Pending = async () =>
                Number((await this.pool.query('SELECT count(*) AS n FROM graphile_worker._private_jobs')).rows[0].n);
        } else {
            const { PgBoss } = await ImportPeerPackage('pg-boss');
            this.boss = new PgBoss({
                connectionString: this.env.pgboss_db_url,
                max: this.connections,
                supervise: false,
                schedule: false,
            });
            this.boss.on('error', (error) => console.error(`pg-boss producer: ${error.message}`));
            await this.boss.start();
            const queue = QueueName(this.variant);
            if (!(await this.boss.getQueue(queue))) {
                await this.boss.createQueue(queue, { notify: this.variant.notify });
            }
            this.pool = new pg.Pool({ connectionString: this.env.pgboss_db_url, max: 1 });
            this.Add = () => this.boss.send(queue, {});
            this.Pending = async () =>
                Number(
                    (
                        await this.pool.query(
                            "SELECT count(*) AS n FROM pgboss.job WHERE name = $1 AND state < 'completed'",
                            [queue],
                        )
                    ).rows[0].n,
                );
        }
        return this;
    }

    async WaitEmpty(timeout_ms) {
        await WaitFor(`${this.variant.id}: queue empty`, async () => (await this.Pending()) === 0, timeout_ms, 10);
    }

    async Close() {
        if (this.utils) {
            await this.utils.release();
        }
        if (this.boss) {
            await this.boss.stop({ graceful: false, wait: true });
        }
        await this.pool.end();
    }
}
