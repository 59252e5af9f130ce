// Workload 3's second half (issue #8): the punctuality measurement of workload 3 on a database
// that also stores a million scheduled jobs whose next fires are spread over the coming year.
// Lateness and the API's submit rate must not degrade more than 2× (the issue's target). See
// bench/README.md.
import { AddCompany, JobdNode } from './jobd.mjs';
import { ImportPeerPackage, Log, NowNs, NsToMs } from './lib.mjs';
import { Cell, Number3, Print } from './report.mjs';
import { MeasurePunctuality } from './workloads.mjs';

const kInsertChunk = 100_000; // jobs per INSERT statement of the bulk load
const kTarget = 2; // "with" ÷ "without" may be at most this
const kFirstFireLeadS = 24 * 3600; // no stored job fires during the measurement
const kYearS = 365 * 24 * 3600;

// `jobs` commandJobs of `company`, each on a yearly Quartz schedule whose next fire is the
// job's place in the year: next fires evenly spaced from a day ahead to a year ahead, as
// submitJob would have stored them (jobs.next_fire_at is what jobd's scheduler reads). SQL,
// not submitJob: a million API calls would take most of the benchmark's time; the API's submit
// rate is measured on a sample instead. session_replication_role = replica keeps the jobs table's
// NOTIFY trigger quiet for the load (no jobd runs meanwhile; a node reads the table at start).
async function BulkLoadJobs(db, company, jobs) {
    const client = await db.connect();
    try {
        await client.query("SET session_replication_role = replica; SET TimeZone = 'UTC'");
        const spacing_s = (kYearS - kFirstFireLeadS) / jobs;
        for (let first = 1; first <= jobs; first += kInsertChunk) {
            const last = Math.min(jobs, first + kInsertChunk - 1);
            await client.query(
                `INSERT INTO jobs (company_id, name, job_type, payload, exec_schedule, time_zone,
                                   overlap, next_fire_at)
                 SELECT $1, 'stored-' || n, 'commandJob', '{"argv":["/bin/true"]}',
                        format('%s %s %s %s %s ?', extract(second FROM t)::int, extract(minute FROM t)::int,
                               extract(hour FROM t)::int, extract(day FROM t)::int, extract(month FROM t)::int),
                        'UTC', 'Allow', t
                 FROM generate_series($2::int, $3::int) n,
                      LATERAL (SELECT date_trunc('second', now() + ($4::float8 + n * $5::float8) * interval '1 s')) s (t)`,
                [company, first, last, kFirstFireLeadS, spacing_s],
            );
            Log(`stored jobs: ${last} of ${jobs} inserted`);
        }
        await client.query('RESET session_replication_role; ANALYZE jobs');
    } finally {
        client.release();
    }
}

async function DeleteStoredJobs(db, company) {
    await db.query('DELETE FROM jobs WHERE company_id = $1', [company]);
    await db.query('VACUUM ANALYZE jobs');
}

// Workload 3 on a fresh node, as after a restart with whatever the database stores now.
async function PunctualityOnFreshNode(env, counts, name) {
    const node = await new JobdNode(env, name).Start({ workers: counts.punctuality_workers });
    try {
        return { node_start_ms: node.start_ms, ...(await MeasurePunctuality(env, counts, node)) };
    } finally {
        await node.Stop();
    }
}

function MedianRatio(with_figure, without_figure) {
    const a = with_figure?.median;
    const b = without_figure?.median;
    return a !== undefined && b !== undefined && b !== null && b !== 0 ? a / b : null;
}

// with ÷ without for each figure, and whether it is within the target.
function Degradation(without, stored) {
    const ratios = {};
    for (const part of ['per_second', 'simultaneous']) {
        for (const stat of ['p50', 'p99', 'max']) {
            ratios[`${part}_lateness_${stat}`] = MedianRatio(stored[part].lateness_ms[stat], without[part].lateness_ms[stat]);
        }
    }
    // A rate: without ÷ with, so that above 1 is slower too.
    ratios.submit_time = MedianRatio(without.simultaneous.submit_jobs_per_s, stored.simultaneous.submit_jobs_per_s);
    const judged = Object.values(ratios).filter((r) => r !== null);
    return { ratios, target: kTarget, within_target: judged.every((r) => r <= kTarget) };
}

export async function StoredMillion(env, counts) {
    const pg = (await ImportPeerPackage('pg')).default;
    const db = new pg.Pool({ connectionString: env.jobd_db_url, max: 1 });
    const result = { stored_jobs: counts.stored_jobs, workers: counts.punctuality_workers };
    let company = null;
    try {
        result.without = await PunctualityOnFreshNode(env, counts, 'stored-without');
        company = await AddCompany(env, `Stored-${Date.now()}`);
        const start = NowNs();
        await BulkLoadJobs(db, company, counts.stored_jobs);
        result.bulk_load_s = NsToMs(NowNs() - start) / 1000;
        result.with = await PunctualityOnFreshNode(env, counts, 'stored-with');
        result.degradation = Degradation(result.without, result.with);
        Log(
            `stored jobs: with ${counts.stored_jobs}, simultaneous p99 ×` +
                `${Number3(result.degradation.ratios.simultaneous_lateness_p99)}, submit time ×` +
                `${Number3(result.degradation.ratios.submit_time)}`,
        );
        return result;
    } finally {
        if (company !== null) {
            await DeleteStoredJobs(db, company); // later workloads see the database without them
        }
        await db.end();
    }
}

export function PrintStoredMillion(s) {
    const r = s.degradation.ratios;
    const rows = [[`punctuality with ${s.stored_jobs} stored jobs (lateness ms)`, 'p50', 'p99', 'max', 'with ÷ without (p50, p99, max)']];
    for (const [part, label] of [
        ['per_second', `${s.without.per_second.jobs} jobs every second`],
        ['simultaneous', `${s.without.simultaneous.jobs} jobs due in one second`],
    ]) {
        for (const [side, name] of [['without', 'without'], ['with', 'with']]) {
            const f = s[side][part].lateness_ms;
            const ratio =
                side === 'with'
                    ? ['p50', 'p99', 'max'].map((stat) => `${Number3(r[`${part}_lateness_${stat}`])}×`).join(' ')
                    : '';
            rows.push([`${label}, ${name} stored jobs`, Cell(f.p50), Cell(f.p99), Cell(f.max), ratio]);
        }
    }
    Print(rows);
    process.stdout.write(
        `submitJob through the API (${s.without.simultaneous.jobs} jobs, 32 connections): ` +
            `${Cell(s.without.simultaneous.submit_jobs_per_s)}/s without, ${Cell(s.with.simultaneous.submit_jobs_per_s)}/s ` +
            `with the stored jobs: submit time ×${Number3(r.submit_time)}\n` +
            `stored jobs bulk-loaded with SQL in ${Number3(s.bulk_load_s)} s; jobd start ${Number3(s.without.node_start_ms)} ms ` +
            `without, ${Number3(s.with.node_start_ms)} ms with them\n` +
            `target: every ratio ≤ ${s.degradation.target}× — ${s.degradation.within_target ? 'met' : 'NOT met'}\n\n`,
    );
}
