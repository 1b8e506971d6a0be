// SPDX-License-Identifier: BSD-2-Clause
//
// Peer for the benchmark: Novu webhook verification written in njs, the way
// a user would without this module.  Used as
//
//   location /hooks/ { set $webhook_secret ...; js_content novu.verify; }
//   location @upstream { proxy_pass ...; }
//
// js_content reads the body first; an in-memory body is r.requestBuffer, a
// body spilled to a temp file has to be read back from $request_body_file
// (r.requestBuffer throws then).
// The HMAC is njs's own crypto module (njs implements SHA-256 itself).

const crypto = require('crypto');
const fs = require('fs');

const TOLERANCE_MS = 5 * 60 * 1000;

// "t=<ts>,v1=<hex>[,v1=<hex>...]" -> { t, signatures } or null
function parse(header) {
    const parts = header.split(',');
    const out = { t: null, signatures: [] };

    for (let i = 0; i < parts.length; i++) {
        const eq = parts[i].indexOf('=');
        if (eq < 1) {
            return null;
        }
        const key = parts[i].slice(0, eq).trim();
        const value = parts[i].slice(eq + 1).trim();

        if (key === 't') {
            out.t = value;
        } else if (key === 'v1') {
            out.signatures.push(value.toLowerCase());
        }
    }

    if (out.t === null || !/^[0-9]+$/.test(out.t) || !out.signatures.length) {
        return null;
    }
    return out;
}

function is_stale(t) {
    const ms = t.length >= 13 ? Number(t) : Number(t) * 1000;
    return Math.abs(Date.now() - ms) > TOLERANCE_MS;
}

function reject(r) {
    r.return(401, '{"code":"SignatureMismatchError"}');
}

function verify(r) {
    const header = r.headersIn['Novu-Signature'];
    if (!header) {
        return reject(r);
    }

    const sig = parse(header);
    if (sig === null || is_stale(sig.t)) {
        return reject(r);
    }

    const file = r.variables.request_body_file;
    let body = file ? fs.readFileSync(file) : r.requestBuffer;
    if (body.length === 0) {
        body = '{}';        // Novu signs an empty body as "{}"
    }

    const mac = crypto.createHmac('sha256', r.variables.webhook_secret)
                      .update(sig.t + '.').update(body).digest('hex');

    if (sig.signatures.indexOf(mac) < 0) {
        return reject(r);
    }

    r.internalRedirect('@upstream');
}

export default { verify };
