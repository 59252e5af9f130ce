// Workload 5, scale-out (issue #8): throughput and punctuality with 1, 2 and 3 jobd nodes on one
// database, each node with its own node.name, port and log directory. On a machine of few cores
// the nodes share the same CPUs and PostgreSQL: the figures show what another node costs, not
// what it adds. See bench/README.md.
import os from 'node:os';

import { JobdNode, JobdStatements } from './jobd.mjs';
import { ClusterCpuSeconds, Figure, Log, NowNs, NsToMs, ProcessUsage, RunConcurrently, WaitFor } from './lib.mjs';
import { Cell, Print } from './report.mjs';
import { kProducerConnections, MeasurePunctuality } from './workloads.mjs';

const kDrainTimeoutMs = 600_000;

async function StartNodes(env, count, workers) {
    const nodes = [];
    try {
        for (let i = 1; i <= count; i++) {
            nodes.push(await new JobdNode(env, `scale-${count}-node-${i}`, { node_name: `scale-${count}-${i}` }).Start({ workers }));
        }
        return nodes;
    } catch (error) {
        await StopNodes(nodes);
        throw error;
    }
}

async function StopNodes(nodes) {
    await Promise.all(nodes.map((node) => node.Stop()));
}

// One repetition: `jobs` executeJob calls from 32 connections, connection k calling node
// k mod n (a client balancing over the nodes' APIs); runs are counted in every node's outcome
// log, whichever node ran them.
async function ThroughputRep(env, nodes, clients, job, jobs) {
    const outcomes = nodes.map((node) => node.Outcomes());
    const Finished = () => outcomes.reduce((sum, counter) => sum + counter.Poll(), 0);
    const NodesCpu = () => nodes.reduce((sum, node) => sum + ProcessUsage(node.Pid()).cpu_s, 0);
    const cpu_before = NodesCpu();
    const pg_cpu_before = ClusterCpuSeconds(env.pg_pid);
    const start = NowNs();
    await RunConcurrently(jobs, kProducerConnections, (i, lane) => clients[lane % clients.length].ExecuteJson(job));
    const called = NowNs();
    await WaitFor('all runs finished on the nodes', () => Finished() >= jobs, kDrainTimeoutMs, 10);
    const finished = NowNs();
    return {
        runs: jobs / (NsToMs(finished - start) / 1000),
        calls: jobs / (NsToMs(called - start) / 1000),
        // all nodes' CPU and the cluster's, per run: what another node costs, less noisy than runs/s
        cpu_ms: (1000 * (NodesCpu() - cpu_before)) / jobs,
        pg_cpu_ms: (1000 * (ClusterCpuSeconds(env.pg_pid) - pg_cpu_before)) / jobs,
        not_succeeded: outcomes.reduce((sum, counter) => sum + counter.not_succeeded, 0),
        per_node: outcomes.map((counter) => counter.count),
    };
}

async function ScaleOutThroughput(env, nodes, counts) {
    // The producer connections in all, spread over the nodes.
    const per_node = Math.ceil(kProducerConnections / nodes.length);
    const clients = nodes.map((node) => node.Client({ sockets: per_node }));
    const statements = new JobdStatements(env);
    try {
        const job = await clients[0].SubmitCommandJob(`scale-true-${nodes.length}`, ['/bin/true'], {
            execTime: '2099-01-01T00:00:00Z',
        });
        await ThroughputRep(env, nodes, clients, job, Math.max(50, Math.floor(counts.throughput / 10))); // warm-up
        const reps = [];
        for (let rep = 0; rep < counts.reps; rep++) {
            await statements.Reset();
            reps.push(await ThroughputRep(env, nodes, clients, job, counts.throughput));
        }
        return {
            runs_per_s: Figure(reps.map((r) => r.runs)),
            execute_calls_per_s: Figure(reps.map((r) => r.calls)),
            jobd_cpu_ms_per_run: Figure(reps.map((r) => r.cpu_ms)),
            postgres_cpu_ms_per_run: Figure(reps.map((r) => r.pg_cpu_ms)),
            statements_per_run: await statements.Read(counts.throughput), // last repetition; --statements only
            runs_not_succeeded: reps.reduce((sum, r) => sum + r.not_succeeded, 0),
            // where the runs of the last repetition ran: shows whether the nodes shared the work
            runs_per_node_last_rep: reps[reps.length - 1].per_node,
        };
    } finally {
        await statements.Close();
        for (const client of clients) {
            client.Close();
        }
    }
}

export async function ScaleOut(env, counts) {
    const workers = counts.punctuality_workers;
    const result = {
        cores: os.cpus().length,
        workers_per_node: workers,
        jobs: counts.throughput,
        nodes: {},
    };
    for (const count of counts.scale_out_nodes) {
        const nodes = await StartNodes(env, count, workers);
        try {
            const throughput = await ScaleOutThroughput(env, nodes, counts);
            Log(`scale-out ${count} node(s): ${throughput.runs_per_s.median.toFixed(0)} runs/s, ${throughput.jobd_cpu_ms_per_run.median.toFixed(3)} ms of jobd CPU and ${throughput.postgres_cpu_ms_per_run.median.toFixed(3)} ms of PostgreSQL CPU per run`);
            // Submitted through the first node; any node may claim a fire (FOR UPDATE SKIP LOCKED).
            const punctuality = await MeasurePunctuality(env, counts, nodes[0]);
            result.nodes[count] = { throughput, punctuality };
        } finally {
            await StopNodes(nodes);
        }
    }
    return result;
}

export function PrintScaleOut(s) {
    const counts = Object.keys(s.nodes);
    const header = `scale-out (${s.cores} cores: overhead, not speed-up), ${s.workers_per_node} workers per node`;
    const rows = [[header, ...counts.map((n) => `${n} node${n === '1' ? '' : 's'}`)]];
    rows.push([`runs/s of /bin/true (${s.jobs} executeJob over the nodes)`, ...counts.map((n) => Cell(s.nodes[n].throughput.runs_per_s))]);
    rows.push(['executeJob calls/s', ...counts.map((n) => Cell(s.nodes[n].throughput.execute_calls_per_s))]);
    rows.push(['jobd CPU ms per run (all nodes)', ...counts.map((n) => Cell(s.nodes[n].throughput.jobd_cpu_ms_per_run))]);
    rows.push(['PostgreSQL CPU ms per run', ...counts.map((n) => Cell(s.nodes[n].throughput.postgres_cpu_ms_per_run))]);
    rows.push(['runs per node (last repetition)', ...counts.map((n) => s.nodes[n].throughput.runs_per_node_last_rep.join('/'))]);
    const first = s.nodes[counts[0]].punctuality;
    for (const [part, label] of [
        ['per_second', `${first.per_second.jobs} jobs every second`],
        ['simultaneous', `${first.simultaneous.jobs} jobs due in one second`],
    ]) {
        for (const stat of ['p50', 'p99']) {
            rows.push([`lateness ms ${stat}, ${label}`, ...counts.map((n) => Cell(s.nodes[n].punctuality[part].lateness_ms[stat]))]);
        }
    }
    Print(rows);
    process.stdout.write(
        `On ${s.cores} cores another node adds no CPU: the nodes, their /bin/true children, PostgreSQL and the ` +
            `driver share the same cores, so this is not a speed-up. Each node has ${s.workers_per_node} workers, so ` +
            `N nodes run up to ${s.workers_per_node}×N runs at once: a rise in runs/s comes from more runs waiting on ` +
            `their commits at once (compare one node with 32 workers in the throughput table), not from the nodes. ` +
            `The limits are process spawning and commits (the machine's limits), and more nodes add processes, ` +
            `connections and contention on claiming the same fires (FOR UPDATE SKIP LOCKED).\n\n`,
    );
}
