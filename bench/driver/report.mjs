// The printed table and jobd's ratios to each peer (bench/README.md says how to read them).

function Median(figure) {
    return figure ? figure.median : null;
}

function Ratio(a, b) {
    return a !== null && b !== null && b !== 0 ? a / b : null;
}

// jobd ÷ peer for every figure both have. Latency, CPU, RSS and transactions: below 1 is jobd
// ahead; runs/s: above 1 is jobd ahead.
export function Ratios(workloads) {
    const ratios = {};
    const latency = workloads.latency;
    if (latency) {
        ratios.latency_p50 = {};
        ratios.latency_p99 = {};
        const jobd = latency.jobd.json.process_started;
        for (const [peer, figures] of Object.entries(latency.peers)) {
            ratios.latency_p50[peer] = Ratio(Median(jobd.p50), Median(figures.process_started.p50));
            ratios.latency_p99[peer] = Ratio(Median(jobd.p99), Median(figures.process_started.p99));
        }
    }
    const throughput = workloads.throughput;
    if (throughput) {
        ratios.throughput = {};
        for (const [workers, jobd] of Object.entries(throughput.jobd)) {
            const row = (ratios.throughput[workers] = {});
            for (const [peer, handlers] of Object.entries(throughput.peers)) {
                row[`${peer} spawn`] = Ratio(Median(jobd.runs_per_s), Median(handlers.spawn?.[workers]?.jobs_per_s));
                row[`${peer} in-process`] = Ratio(Median(jobd.runs_per_s), Median(handlers.noop?.[workers]?.jobs_per_s));
            }
            const spawn_limit = workloads.limits?.spawn_per_s?.[workers];
            if (spawn_limit) {
                row['fraction of spawn limit'] = Ratio(Median(jobd.runs_per_s), Median(spawn_limit));
            }
        }
    }
    const idle = workloads.idle;
    if (idle) {
        ratios.idle = {};
        for (const [peer, figures] of Object.entries(idle.peers)) {
            ratios.idle[peer] = {
                cpu: Ratio(Median(idle.jobd.cpu_percent_of_core), Median(figures.cpu_percent_of_core)),
                rss: Ratio(Median(idle.jobd.rss_mib), Median(figures.rss_mib)),
                db_transactions: Ratio(Median(idle.jobd.db_transactions_per_s), Median(figures.db_transactions_per_s)),
            };
        }
    }
    return ratios;
}

export function Number3(value) {
    if (value === null || value === undefined) {
        return '-';
    }
    const magnitude = Math.abs(value);
    return magnitude >= 100 ? value.toFixed(0) : magnitude >= 1 ? value.toFixed(2) : value.toFixed(3);
}

export function Cell(figure) {
    if (!figure) {
        return '-';
    }
    return `${Number3(figure.median)} [${Number3(figure.min)}–${Number3(figure.max)}]`;
}

export function Print(rows) {
    const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => String(row[column]).length)));
    for (const [index, row] of rows.entries()) {
        process.stdout.write(`${row.map((cell, column) => String(cell).padEnd(widths[column])).join('  ')}\n`);
        if (index === 0) {
            process.stdout.write(`${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
        }
    }
    process.stdout.write('\n');
}

function RatioText(value) {
    return value === null || value === undefined ? '-' : `${Number3(value)}×`;
}

export function PrintTable(results) {
    const { workloads, ratios, machine, versions } = results;
    process.stdout.write(
        `\njobd benchmark — ${versions.jobd}, PostgreSQL ${versions.postgresql}, graphile-worker ` +
            `${versions.graphile_worker}, pg-boss ${versions.pg_boss}, Node ${versions.node_peers}\n` +
            `machine: ${machine.cores} cores, ${(machine.memory_bytes / 2 ** 30).toFixed(1)} GiB, ` +
            `${machine.kernel}, load ${machine.load_average_at_start.map((l) => l.toFixed(2)).join(' ')}\n` +
            `each figure: median [min–max] of ${results.counts.reps} repetitions\n`,
    );
    if (results.functional_run) {
        process.stdout.write('FUNCTIONAL RUN (--quick): scaled-down counts; these figures are not measurements\n');
    }
    process.stdout.write('\n');
    if (workloads.latency) {
        const rows = [['trigger latency (ms)', 'p50', 'p99', 'max', 'jobd p50 ÷ this']];
        for (const encoding of ['json', 'soap']) {
            const f = workloads.latency.jobd[encoding].process_started;
            rows.push([`jobd executeJob ${encoding.toUpperCase()}`, Cell(f.p50), Cell(f.p99), Cell(f.max), '']);
        }
        const probe = workloads.latency.probe_start;
        if (probe) {
            rows.push(['machine: posix_spawn → probe started', Cell(probe.p50), Cell(probe.p99), Cell(probe.max), '']);
        }
        for (const [peer, figures] of Object.entries(workloads.latency.peers)) {
            const f = figures.process_started;
            rows.push([peer, Cell(f.p50), Cell(f.p99), Cell(f.max), RatioText(ratios.latency_p50[peer])]);
        }
        Print(rows);
    }
    if (workloads.throughput) {
        const t = workloads.throughput;
        const rows = [[`throughput (${t.jobs} jobs${t.company_limit ? `, company limit ${t.company_limit}` : ''})`, ...Object.keys(t.jobd).map((w) => `${w} workers /s`), 'jobd ÷ this']];
        rows.push(['jobd runs of /bin/true', ...Object.values(t.jobd).map((j) => Cell(j.runs_per_s)), '']);
        rows.push(['jobd executeJob calls', ...Object.values(t.jobd).map((j) => Cell(j.execute_calls_per_s)), '']);
        rows.push(['jobd CPU ms per run (not /s)', ...Object.values(t.jobd).map((j) => Cell(j.jobd_cpu_ms_per_run)), '']);
        rows.push(['PostgreSQL CPU ms per run (not /s)', ...Object.values(t.jobd).map((j) => Cell(j.postgres_cpu_ms_per_run)), '']);
        const first = Object.keys(t.jobd)[0];
        for (const [peer, handlers] of Object.entries(t.peers)) {
            for (const [handler, label] of [['spawn', 'runs /bin/true'], ['noop', 'in-process no-op (favours it)']]) {
                if (handlers[handler]) {
                    rows.push([
                        `${peer}: ${label}`,
                        ...Object.keys(t.jobd).map((w) => Cell(handlers[handler][w]?.jobs_per_s)),
                        RatioText(ratios.throughput[first][`${peer} ${handler === 'spawn' ? 'spawn' : 'in-process'}`]),
                    ]);
                }
            }
        }
        if (workloads.limits) {
            rows.push(['machine: posix_spawn+wait /bin/true', ...Object.keys(t.jobd).map((w) => Cell(workloads.limits.spawn_per_s[w])), '']);
            rows.push(['machine: INSERT commits', ...Object.keys(t.jobd).map((w) => Cell(workloads.limits.insert_commits_per_s[w])), '']);
            rows.push(['jobd runs/s ÷ spawn limit', ...Object.keys(t.jobd).map((w) => RatioText(ratios.throughput[w]['fraction of spawn limit'])), '']);
        }
        Print(rows);
    } else if (workloads.limits) {
        const l = workloads.limits;
        const rows = [['machine limits /s', ...Object.keys(l.spawn_per_s).map((w) => `${w} at once`)]];
        rows.push(['posix_spawn+wait /bin/true', ...Object.values(l.spawn_per_s).map(Cell)]);
        rows.push(['INSERT commits', ...Object.values(l.insert_commits_per_s).map(Cell)]);
        Print(rows);
    }
    if (workloads.punctuality) {
        const p = workloads.punctuality;
        const rows = [[`punctuality: lateness ms (${p.workers} workers)`, 'p50', 'p99', 'max']];
        for (const [label, part] of [
            [`${p.per_second?.jobs} jobs every second`, p.per_second],
            [`${p.simultaneous?.jobs} jobs due in one second`, p.simultaneous],
        ]) {
            if (part) {
                const f = part.lateness_ms;
                rows.push([label, Cell(f.p50), Cell(f.p99), Cell(f.max)]);
            }
        }
        Print(rows);
        if (p.per_second) {
            process.stdout.write(
                `runs per window ${p.per_second.runs_per_window.join(', ')} of ${p.per_second.fires_per_window} fires\n\n`,
            );
        }
    }
    if (workloads.idle) {
        const i = workloads.idle;
        const rows = [
            [`idle (${i.window_seconds} s windows)`, 'CPU % of a core', 'RSS MiB', 'db transactions/s', 'jobd ÷ this (CPU, RSS, tx)'],
            [
                `jobd, ${i.scheduled_jobs} scheduled jobs`,
                Cell(i.jobd.cpu_percent_of_core),
                Cell(i.jobd.rss_mib),
                Cell(i.jobd.db_transactions_per_s),
                '',
            ],
        ];
        for (const [peer, f] of Object.entries(i.peers)) {
            const r = ratios.idle[peer];
            rows.push([
                `${peer}, no jobs`,
                Cell(f.cpu_percent_of_core),
                Cell(f.rss_mib),
                Cell(f.db_transactions_per_s),
                `${RatioText(r.cpu)} ${RatioText(r.rss)} ${RatioText(r.db_transactions)}`,
            ]);
        }
        Print(rows);
        process.stdout.write(
            `jobd: ${Number3(i.jobd.submit_jobs_per_s)} submitJob/s while storing the jobs, ` +
                `start with them ${Number3(i.jobd.start_ms)} ms\n`,
        );
    }
}
