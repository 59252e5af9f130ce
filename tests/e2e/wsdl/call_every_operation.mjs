// Calls every jobd SOAP operation through a client that the stock `soap` npm package generates
// from the served WSDL (issue #4: "stock SOAP client generators can call every operation").
//   node call_every_operation.mjs BASE_URL USER PASSWORD
// BASE_URL is the daemon's http://host:port. The `soap` package is loaded from the node_modules
// of $JOBD_NODE_DIR (tests/e2e/wsdl/npm_ci installs it there). Asserts as it goes, prints one
// JSON object with what each operation answered, and exits non-zero on the first failure.
// Works with Debian 12's Node.js 18.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(process.env.JOBD_NODE_DIR ?? '.', 'package.json'));
const soap = require('soap');

const [baseUrl, user, password] = process.argv.slice(2);
if (!baseUrl || !user || !password) {
    console.error('usage: call_every_operation.mjs BASE_URL USER PASSWORD');
    process.exit(2);
}

const kDeadlineMs = 20000;
const kJob = 'wsdl-client-job';
const kJobHandle = `47|${kJob}|`;
const results = {};

// IPS arrays are a wrapper of repeated <items>: a list whatever the number of items.
function items(array) {
    if (array === undefined || array === null || array === '') {
        return [];
    }
    const inner = array.items;
    if (inner === undefined) {
        return [];
    }
    return Array.isArray(inner) ? inner : [inner];
}

async function call(client, operation, args) {
    const [result] = await client[`${operation}Async`](args);
    results[operation] = result ?? {};
    return result ?? {};
}

// The fault detail (e.g. {kind: 'ipsApiFault', code: 30001}) of a call that must fail.
async function fault(client, operation, args) {
    try {
        await client[`${operation}Async`](args);
    } catch (error) {
        const body = error.root?.Envelope?.Body?.Fault;
        assert.ok(body, `${operation}: not a SOAP fault: ${error}`);
        const [kind] = Object.keys(body.detail);
        return {
            status: error.response?.status,
            faultcode: body.faultcode,
            kind,
            code: Number(body.detail[kind].code),
        };
    }
    assert.fail(`${operation}: succeeded, a fault was expected`);
}

async function until(what, condition) {
    const end = Date.now() + kDeadlineMs;
    for (;;) {
        const value = await condition();
        if (value) {
            return value;
        }
        assert.ok(Date.now() < end, `timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
}

async function main() {
    const client = await soap.createClientAsync(`${baseUrl}/IpsApi.wsdl`);
    // The endpoint the WSDL names is the one it was fetched from.
    assert.equal(client.wsdl.services.IpsApiService.ports.IpsApiSoapPort.location,
                 `${baseUrl}/IpsApi`);
    client.addSoapHeader({ authHeader: { user, password } }, '', 'types',
                         'http://www.scene7.com/IpsApi/xsd');
    const company = { companyHandle: '47' };
    const job = { companyHandle: '47', jobHandle: kJobHandle };

    const submitted = await call(client, 'submitJob', {
        companyHandle: '47',
        jobName: kJob,
        execSchedule: '0 0 0 1 1 ?',
        description: 'made by the soap npm client',
        commandJob: { argv: { items: ['/bin/sh', '-c', 'echo from the wsdl client; sleep 60'] } },
    });
    assert.equal(submitted.jobHandle, kJobHandle);

    await call(client, 'executeJob', job);
    const active = await until('the run to be Running', async () => {
        const answer = await call(client, 'getActiveJobs', job);
        const running = items(answer.jobArray).filter((run) => run.state === 'Running');
        return running.length === 1 ? running[0] : null;
    });
    assert.ok(active.jobHandle.startsWith(kJobHandle), active.jobHandle);
    assert.equal(typeof active.progress, 'number');

    await call(client, 'stopJob', job);
    const stopped = await until('the run to be Stopped', async () => {
        const answer = await call(client, 'getJobLogs', { ...company, numRows: 10 });
        const log = items(answer.jobLogArray).find((entry) => entry.jobHandle === active.jobHandle);
        return log && log.state === 'Stopped' ? log : null;
    });
    assert.equal(stopped.fatalError, false);
    assert.equal(stopped.trigger, 'Execute');

    await call(client, 'pauseJob', job);
    const scheduled = await call(client, 'getScheduledJobs', job);
    const [entry] = items(scheduled.jobArray);
    assert.equal(entry.triggerState, 'Paused');
    assert.equal(entry.execSchedule, '0 0 0 1 1 ?');
    await call(client, 'resumeJob', job);

    const details = await call(client, 'getJobLogDetails', {
        companyHandle: '47',
        jobHandle: active.jobHandle,
        logTypeArray: { items: ['Output'] },
        recordsPerPage: 10,
        resultsPage: 1,
    });
    const [log] = items(details.jobLogArray);
    assert.equal(log.detailTotalRows, 1);
    assert.equal(items(log.detailArray)[0].logMessage, 'from the wsdl client');

    const added = await call(client, 'addCompany', { companyName: 'WSDL Client Co' });
    assert.match(String(added.companyHandle), /^[0-9]+$/);
    const user_added = await call(client, 'addUser', {
        email: 'wsdl-client@example.com',
        password: 'long-enough',
        defaultRole: 'IpsUser',
        companyHandle: added.companyHandle,
    });
    assert.match(String(user_added.userHandle), /^[0-9]+$/);

    await call(client, 'deleteJob', job);
    results.fault = await fault(client, 'executeJob', job);
    assert.deepEqual(results.fault,
                     { status: 500, faultcode: 'soapenv:Client', kind: 'ipsApiFault', code: 30001 });
}

try {
    await main();
    console.log(JSON.stringify(results));
} catch (error) {
    console.log(JSON.stringify(results));
    console.error(error);
    process.exit(1);
}
