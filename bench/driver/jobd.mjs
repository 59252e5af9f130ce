// jobd's side of the benchmark: a daemon started per workload with its own config, and the API
// client the workloads drive it with (JSON over HTTP keep-alive, or SOAP).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import { Delay, FreePort, ImportPeerPackage, Run, WaitFor } from './lib.mjs';

const kStartTimeoutMs = 120_000;

// One jobd process on the benchmark's database, configured for one workload. `node_name` is its
// node.name: nodes sharing the database at the same time need distinct ones (scale-out).
export class JobdNode {
    constructor(env, name, { node_name = 'bench' } = {}) {
        this.env = env; // the BenchEnv of main.mjs
        this.node_name = node_name;
        this.dir = path.join(env.work_dir, name);
        this.config_path = path.join(this.dir, 'jobd.yaml');
        this.outcome_path = path.join(this.dir, 'log', 'companies', `${env.jobd.company}.log`);
        this.process = null;
    }

    // `extra`: more YAML lines (a workload's own settings, e.g. runs.retention).
    WriteConfig({ workers, port, extra = [] }) {
        const workers_line = workers ? `workers: {max_concurrent_runs: ${workers}}` : '';
        fs.mkdirSync(path.join(this.dir, 'log'), { recursive: true });
        fs.writeFileSync(
            this.config_path,
            [
                `node: {name: ${this.node_name}}`,
                `database: {url: "${this.env.jobd_db_url}"}`,
                `api: {listen: "127.0.0.1:${port}", unix_socket: ""}`,
                workers_line,
                ...extra,
                `log: {level: info, dir: "${path.join(this.dir, 'log')}"}`,
                '',
            ].join('\n'),
        );
    }

    // Starts jobd and resolves once /healthz answers 200; `workers` is max_concurrent_runs.
    async Start({ workers, extra }) {
        const port = await FreePort();
        this.WriteConfig({ workers, port, extra });
        this.url = `http://127.0.0.1:${port}`;
        const log = fs.openSync(path.join(this.dir, 'jobd.log'), 'a');
        const started = process.hrtime.bigint();
        this.process = spawn(this.env.jobd_bin, ['--config', this.config_path], {
            stdio: ['ignore', log, log],
            cwd: this.dir,
        });
        fs.closeSync(log);
        const child = this.process;
        const orphan_guard = () => child.kill('SIGKILL'); // the driver died: leave no daemon behind
        process.once('exit', orphan_guard);
        this.exited = new Promise((resolve) => child.once('exit', resolve));
        child.once('exit', () => process.removeListener('exit', orphan_guard));
        await WaitFor(
            'jobd /healthz',
            async () => {
                if (this.process.exitCode !== null) {
                    throw new Error(`jobd exited with ${this.process.exitCode}; see ${this.dir}/jobd.log`);
                }
                return (await HealthStatus(this.url)) === 200;
            },
            kStartTimeoutMs,
            10,
        );
        this.start_ms = Number(process.hrtime.bigint() - started) / 1e6;
        return this;
    }

    Pid() {
        return this.process.pid;
    }

    async Stop() {
        if (this.process === null || this.process.exitCode !== null) {
            return;
        }
        this.process.kill('SIGTERM');
        await this.exited;
        this.process = null;
    }

    // The company's outcome log: one JSON line per finished run (contract §9), written after the
    // run's row is committed, so reading it observes completed runs without querying.
    Outcomes() {
        return new OutcomeCounter(this.outcome_path);
    }

    Client({ sockets = 1 } = {}) {
        return new JobdClient(this.url, this.env.jobd, sockets);
    }
}

// Counts the outcome lines appended since it was made, reading only the new bytes.
export class OutcomeCounter {
    constructor(file) {
        this.file = file;
        this.offset = Exists(file) ? fs.statSync(file).size : 0;
        this.count = 0;
        this.not_succeeded = 0;
        this.partial = '';
    }

    Poll() {
        if (!Exists(this.file)) {
            return this.count;
        }
        const fd = fs.openSync(this.file, 'r');
        try {
            const buffer = Buffer.alloc(1 << 20);
            for (;;) {
                const read = fs.readSync(fd, buffer, 0, buffer.length, this.offset);
                if (read === 0) {
                    break;
                }
                this.offset += read;
                const lines = (this.partial + buffer.subarray(0, read).toString()).split('\n');
                this.partial = lines.pop();
                for (const line of lines) {
                    this.count++;
                    if (!line.includes('"state":"Succeeded"')) {
                        this.not_succeeded++;
                    }
                }
            }
        } finally {
            fs.closeSync(fd);
        }
        return this.count;
    }
}

function Exists(file) {
    return fs.existsSync(file);
}

function HealthStatus(url) {
    return new Promise((resolve) => {
        const request = http.get(`${url}/healthz`, (response) => {
            response.resume();
            resolve(response.statusCode);
        });
        request.on('error', () => resolve(0));
    });
}

// The API over HTTP/1.1 keep-alive connections (at most `sockets` at once).
export class JobdClient {
    constructor(url, credentials, sockets) {
        this.url = new URL(url);
        this.credentials = credentials;
        this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
        this.bearer = `Bearer ${credentials.token}`;
    }

    Post(pathname, body, headers) {
        return new Promise((resolve, reject) => {
            const request = http.request(
                {
                    host: this.url.hostname,
                    port: this.url.port,
                    method: 'POST',
                    path: pathname,
                    agent: this.agent,
                    headers: { 'Content-Length': Buffer.byteLength(body), ...headers },
                },
                (response) => {
                    const chunks = [];
                    response.on('data', (chunk) => chunks.push(chunk));
                    response.on('end', () => {
                        const text = Buffer.concat(chunks).toString();
                        if (response.statusCode !== 200) {
                            reject(new Error(`${pathname}: HTTP ${response.statusCode}: ${text}`));
                        } else {
                            resolve(text);
                        }
                    });
                },
            );
            request.on('error', reject);
            request.end(body);
        });
    }

    async Json(operation, fields) {
        const text = await this.Post(`/api/v1/${operation}`, JSON.stringify(fields), {
            'Content-Type': 'application/json',
            Authorization: this.bearer,
        });
        return JSON.parse(text);
    }

    // executeJob as an IPS SOAP client sends it: envelope, authHeader with user and password.
    Soap(operation, inner) {
        const { user, password } = this.credentials;
        const body =
            '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
            'xmlns:t="http://www.scene7.com/IpsApi/xsd"><soapenv:Header><t:authHeader>' +
            `<t:user>${user}</t:user><t:password>${password}</t:password></t:authHeader>` +
            `</soapenv:Header><soapenv:Body><t:${operation}Param>${inner}</t:${operation}Param>` +
            '</soapenv:Body></soapenv:Envelope>';
        return this.Post('/IpsApi', body, {
            'Content-Type': 'text/xml; charset=utf-8',
            SOAPAction: operation,
        });
    }

    ExecuteJson(job_handle) {
        return this.Json('executeJob', { companyHandle: this.credentials.company, jobHandle: job_handle });
    }

    ExecuteSoap(job_handle) {
        return this.Soap(
            'executeJob',
            `<t:companyHandle>${this.credentials.company}</t:companyHandle>` +
                `<t:jobHandle>${XmlEscape(job_handle)}</t:jobHandle>`,
        );
    }

    // A commandJob; `when` is {execTime} or {execSchedule}; overlap Allow lets runs of the job
    // go concurrently, as the throughput workload needs.
    async SubmitCommandJob(name, argv, when) {
        const answer = await this.Json('submitJob', {
            companyHandle: this.credentials.company,
            jobName: name,
            overlap: 'Allow',
            ...when,
            commandJob: { argv },
        });
        return answer.jobHandle;
    }

    Close() {
        this.agent.destroy();
    }
}

function XmlEscape(text) {
    return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// The config file of jobd's admin commands on the benchmark's database.
export function AdminConfig(env) {
    return path.join(env.work_dir, 'admin.yaml');
}

// A company made with `jobd admin add-company`; returns its handle.
export async function AddCompany(env, name) {
    const out = await Run(env.jobd_bin, ['admin', 'add-company', name, '--config', AdminConfig(env)]);
    const company = /companyHandle=(\d+)/.exec(out)?.[1];
    if (!company) {
        throw new Error(`jobd admin add-company printed no handle: ${out}`);
    }
    return company;
}

// Company, IpsAdmin user and API token of the benchmark, made with jobd's own admin commands.
export async function SetUpJobdAccounts(env) {
    const config = AdminConfig(env);
    fs.writeFileSync(
        config,
        `database: {url: "${env.jobd_db_url}"}\napi: {unix_socket: ""}\nlog: {dir: "${path.join(env.work_dir, 'log')}"}\n`,
    );
    await Run(env.jobd_bin, ['migrate', '--config', config]);
    const company = await AddCompany(env, 'Bench');
    const user = 'bench@example.com';
    const password = 'bench-password-not-secret';
    await Run(
        env.jobd_bin,
        ['admin', 'add-user', user, '--company', company, '--role', 'IpsAdmin', '--password-stdin', '--config', config],
        { input: password },
    );
    const token_out = await Run(env.jobd_bin, ['admin', 'add-token', user, '--config', config]);
    const token = token_out.trim().split(/\s+/).pop();
    return { company, user, password, token };
}

export { Delay };

// --statements: what jobd asked of PostgreSQL during a measurement (pg_stat_statements of the
// jobd database), per unit of work (an executeJob call, a run). Inactive without --statements.
export class JobdStatements {
    constructor(env) {
        this.env = env;
        this.pool = null;
    }

    async Reset() {
        if (!this.env.statements) {
            return;
        }
        if (this.pool === null) {
            const pg = (await ImportPeerPackage('pg')).default;
            this.pool = new pg.Pool({ connectionString: this.env.jobd_db_url, max: 1 });
            await this.pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
        }
        await this.pool.query('SELECT pg_stat_statements_reset()');
    }

    // Calls and rows per unit, and the statements by total time (the reader's own excluded),
    // with how often each was planned: a prepared statement planned at every call pays its
    // planning each time (plans_per_call 1 instead of near 0).
    async Read(units) {
        if (this.pool === null) {
            return undefined;
        }
        const { rows } = await this.pool.query(
            `SELECT calls, rows, total_exec_time, plans, total_plan_time, query FROM pg_stat_statements
             WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND query NOT LIKE '%pg_stat_statements%'
             ORDER BY total_exec_time DESC`,
        );
        const calls = rows.reduce((sum, row) => sum + Number(row.calls), 0);
        const commits = rows.filter((row) => /^COMMIT/i.test(row.query)).reduce((sum, row) => sum + Number(row.calls), 0);
        return {
            statements_per_unit: calls / units,
            commits_per_unit: commits / units,
            top: rows.slice(0, 15).map((row) => ({
                calls_per_unit: Number(row.calls) / units,
                rows_per_call: Number(row.rows) / Math.max(1, Number(row.calls)),
                ms_per_call: row.total_exec_time / Math.max(1, Number(row.calls)),
                plans_per_call: Number(row.plans) / Math.max(1, Number(row.calls)),
                ms_per_plan: row.total_plan_time / Math.max(1, Number(row.plans)),
                query: row.query.replace(/\s+/g, ' ').slice(0, 160),
            })),
        };
    }

    async Close() {
        await this.pool?.end();
    }
}
