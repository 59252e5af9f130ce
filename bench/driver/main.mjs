// The benchmark driver that scripts/bench runs (with Node >= 22 from bench/peers): sets up the
// databases, runs the chosen workloads against jobd and its peers, prints a table and writes
// the results file. See bench/README.md.
//
//   main.mjs [--quick] [--workloads latency,throughput,limits,punctuality,million,idle,history,scaleout] [--reps N] [--out FILE]
//            [--peers all|none|ID,...] [--jobs N] [--workers 8,32] [--nodes 1,2,3] [--statements]
//            [--company-limit N]
//
// Everything about the machine comes from the environment scripts/bench sets (BENCH_*).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { PrintHistory, SustainedHistory } from './history.mjs';
import { SetUpJobdAccounts } from './jobd.mjs';
import { ImportPeerPackage, PeerPackageVersion, Run } from './lib.mjs';
import { kPeerVariants } from './peers.mjs';
import { PrintTable, Ratios } from './report.mjs';
import { PrintScaleOut, ScaleOut } from './scale_out.mjs';
import { PrintStoredMillion, StoredMillion } from './stored_million.mjs';
import { IdleCost, MachineLimits, Punctuality, Throughput, TriggerLatency } from './workloads.mjs';

const kWorkloads = ['latency', 'throughput', 'limits', 'punctuality', 'million', 'idle', 'history', 'scaleout'];

// Full-size counts (issue #8) and the quick ones of a functional run.
const kFull = {
    reps: 3,
    latency: 1000,
    latency_polling: 100,
    throughput: 20000,
    concurrency: [8, 32],
    spawn: 20000,
    insert_seconds: 10,
    per_second_jobs: 1000,
    punctuality_seconds: 10,
    simultaneous_jobs: 10000,
    simultaneous_lead_seconds: 60,
    punctuality_workers: 8,
    idle_jobs: 100000,
    idle_seconds: 60,
    idle_settle_seconds: 10,
    history_jobs: 100,
    history_retention: '2m',
    history_seconds: 600, // five retention periods: pruned about every 30 s after the first two minutes
    history_runs: 1_000_000,
    stored_jobs: 1_000_000, // workload 3 with this many stored jobs (million)
    scale_out_nodes: [1, 2, 3],
};
const kQuick = {
    reps: 3,
    latency: 30,
    latency_polling: 5,
    throughput: 300,
    concurrency: [8, 32],
    spawn: 1000,
    insert_seconds: 2,
    per_second_jobs: 20,
    punctuality_seconds: 3,
    simultaneous_jobs: 200,
    simultaneous_lead_seconds: 10,
    punctuality_workers: 8,
    idle_jobs: 1000,
    idle_seconds: 3,
    idle_settle_seconds: 1,
    history_jobs: 20,
    history_retention: '1m',
    history_seconds: 130,
    history_runs: 20_000,
    stored_jobs: 50_000,
    scale_out_nodes: [1, 2, 3],
};

function Options() {
    const { values } = parseArgs({
        options: {
            quick: { type: 'boolean', default: false },
            workloads: { type: 'string', default: kWorkloads.join(',') },
            reps: { type: 'string' },
            out: { type: 'string' },
            peers: { type: 'string', default: 'all' },
            jobs: { type: 'string' },
            workers: { type: 'string' },
            statements: { type: 'boolean', default: false },
            nodes: { type: 'string' },
            'company-limit': { type: 'string' },
        },
    });
    const workloads = values.workloads.split(',').filter(Boolean);
    for (const workload of workloads) {
        if (!kWorkloads.includes(workload)) {
            throw new Error(`--workloads: unknown workload ${workload}; known: ${kWorkloads.join(', ')}`);
        }
    }
    const counts = { ...(values.quick ? kQuick : kFull) };
    if (values.reps !== undefined) {
        counts.reps = Number(values.reps);
        if (!Number.isInteger(counts.reps) || counts.reps < 1) {
            throw new Error(`--reps: must be a whole number of at least 1, got ${values.reps}`);
        }
    }
    if (values.jobs !== undefined) {
        counts.throughput = WholeNumber('--jobs', values.jobs);
    }
    if (values.workers !== undefined) {
        counts.concurrency = values.workers.split(',').map((w) => WholeNumber('--workers', w));
    }
    if (values.nodes !== undefined) {
        counts.scale_out_nodes = values.nodes.split(',').map((n) => WholeNumber('--nodes', n));
    }
    if (values['company-limit'] !== undefined) {
        counts.company_limit = WholeNumber('--company-limit', values['company-limit']);
    }
    return {
        quick: values.quick,
        workloads,
        counts,
        out: values.out,
        peers: PeerVariants(values.peers),
        statements: values.statements,
    };
}

function WholeNumber(option, text) {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) {
        throw new Error(`${option}: must be a whole number of at least 1, got ${text}`);
    }
    return value;
}

// --peers: all (default), none (jobd alone, e.g. while profiling it), or variant ids.
function PeerVariants(text) {
    if (text === 'all') {
        return kPeerVariants;
    }
    if (text === 'none') {
        return [];
    }
    const ids = text.split(',').filter(Boolean);
    for (const id of ids) {
        if (!kPeerVariants.some((v) => v.id === id)) {
            throw new Error(`--peers: unknown variant ${id}; known: ${kPeerVariants.map((v) => v.id).join(', ')}`);
        }
    }
    return kPeerVariants.filter((v) => ids.includes(v.id));
}

function Required(name) {
    const value = process.env[name];
    if (!value) {
        throw new Error(`${name} is not set: run the benchmark through scripts/bench`);
    }
    return value;
}

function DatabaseUrl(admin_url, database) {
    const url = new URL(admin_url);
    url.pathname = `/${database}`;
    return url.toString();
}

async function CreateDatabases(env) {
    const pg = (await ImportPeerPackage('pg')).default;
    const admin = new pg.Client({ connectionString: env.admin_db_url });
    await admin.connect();
    try {
        for (const database of [env.jobd_db, env.graphile_db, env.pgboss_db, env.limits_db]) {
            await admin.query(`DROP DATABASE IF EXISTS ${database}`);
            await admin.query(`CREATE DATABASE ${database}`);
        }
        return (await admin.query('SHOW server_version')).rows[0].server_version;
    } finally {
        await admin.end();
    }
}

function Machine() {
    const cpus = os.cpus();
    return {
        cores: cpus.length,
        cpu_model: cpus[0]?.model ?? 'unknown',
        memory_bytes: os.totalmem(),
        kernel: `${os.type()} ${os.release()}`,
        load_average_at_start: os.loadavg(),
        hostname: os.hostname(),
    };
}

async function Main() {
    const options = Options();
    const admin_db_url = Required('BENCH_PG_URL');
    const env = {
        work_dir: Required('BENCH_WORK_DIR'),
        jobd_bin: Required('BENCH_JOBD_BIN'),
        ping_bin: Required('BENCH_PING_BIN'),
        spawn_bin: Required('BENCH_SPAWN_BIN'),
        start_bin: Required('BENCH_START_BIN'),
        pgbench_bin: Required('BENCH_PGBENCH_BIN'),
        pg_pid: Number(Required('BENCH_PG_PID')), // the postmaster: the cluster's CPU time
        node22: process.execPath,
        admin_db_url,
        jobd_db: 'bench_jobd',
        graphile_db: 'bench_graphile',
        pgboss_db: 'bench_pgboss',
        limits_db: 'bench_limits',
        peer_variants: options.peers,
        statements: options.statements, // scripts/bench preloaded pg_stat_statements
    };
    env.jobd_db_url = DatabaseUrl(admin_db_url, env.jobd_db);
    env.graphile_db_url = DatabaseUrl(admin_db_url, env.graphile_db);
    env.pgboss_db_url = DatabaseUrl(admin_db_url, env.pgboss_db);
    env.limits_db_url = DatabaseUrl(admin_db_url, env.limits_db);

    const results = {
        functional_run: options.quick,
        note: options.quick
            ? 'functional run with scaled-down counts (--quick): the figures show that the harness works, not how fast anything is'
            : undefined,
        started_at: new Date().toISOString(),
        commit: process.env.BENCH_COMMIT ?? 'unknown',
        versions: {
            jobd: (await Run(env.jobd_bin, ['--version'])).trim(),
            postgresql: await CreateDatabases(env),
            graphile_worker: PeerPackageVersion('graphile-worker'),
            pg_boss: PeerPackageVersion('pg-boss'),
            node_peers: process.version,
        },
        machine: Machine(),
        counts: options.counts,
        workloads: {},
    };
    env.jobd = await SetUpJobdAccounts(env);

    const runners = {
        latency: TriggerLatency,
        throughput: Throughput,
        limits: MachineLimits,
        punctuality: Punctuality,
        idle: IdleCost,
        million: StoredMillion,
        history: SustainedHistory,
        scaleout: ScaleOut,
    };
    for (const workload of kWorkloads.filter((w) => options.workloads.includes(w))) {
        process.stderr.write(`bench: workload ${workload}\n`);
        results.workloads[workload] = await runners[workload](env, options.counts);
    }
    results.finished_at = new Date().toISOString();
    results.ratios = Ratios(results.workloads);

    // A functional run never replaces the last measurement (and is not committed: .gitignore).
    const out = options.out ?? path.join(Required('BENCH_RESULTS_DIR'), options.quick ? 'quick.json' : 'latest.json');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(`${out}.tmp`, `${JSON.stringify(results, null, 2)}\n`);
    fs.renameSync(`${out}.tmp`, out);
    PrintTable(results);
    if (results.workloads.history) {
        PrintHistory(results.workloads.history);
    }
    if (results.workloads.million) {
        PrintStoredMillion(results.workloads.million);
    }
    if (results.workloads.scaleout) {
        PrintScaleOut(results.workloads.scaleout);
    }
    process.stdout.write(`\nresults: ${out}\n`);
}

Main().catch((error) => {
    process.stderr.write(`bench: ${error.stack ?? error}\n`);
    process.exit(1);
});
