// A User system built on DCC's own JavaScript libraries, as DCC's Node-RED nodes
// (SmartDCCInnovation/dccboxed-nodered-nodes) build one, driving SRV 6.15.1's critical flow against the
// sandbox started with `serve --pki dcc-boxed`:
//
//   CV 4 built with @smartdcc/duis-parser `constructDuis` (EUI-64s in lower case, as duis-parser writes
//   them), XML-signed by DCC's tool through @smartdcc/duis-sign-wrap `signDuis` (the counter replaced by
//   the time, as Node-RED does for a zero counter) -> POST /api/v1/serviceT -> I0 with a Pre-Command ->
//   the Pre-Command signed as @smartdcc/gbcs-parser `signGroupingHeader` signs it, with the originator's
//   Digital Signing key from @smartdcc/dccboxed-keystore chosen as Node-RED's `ServerKeyStore` chooses it
//   (never the XML-signing role 135) -> CV 5 `SignedPreCommand` with the Transform's RequestID, signed
//   keeping its counter -> POST /api/v1/serviceS -> I99 -> the answer POSTed to this script's Receive
//   Response Service, which answers 204 once DCC's Validate accepts it, as Node-RED's receive node does.
//
// Every answer is validated with DCC's tool (`validateDuis`) and read with `parseDuis`. Prints one JSON
// line per leg and a last line {"done": true, ...}; exits 1 naming the leg that failed.
//
// Usage: node critical_flow.mjs DSP_URL RECEIVER_PORT ORIGINATOR DEVICE
//
// Why the Pre-Command signing is written here: npm does not serve @smartdcc/gbcs-parser to this project's
// machines (`npm view @smartdcc/gbcs-parser` answers 404), so `signGroupingHeader` (its src/crypto.ts) is
// followed step by step: ECDSA P-256 / SHA-256 over the payload without its leading 0xDF, IEEE P1363, the
// payload then 0x40 and the 64-byte signature. Swap in the package's function when it can be installed.

import { createServer } from 'node:http'
import { sign, X509Certificate } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)
const { constructDuis, parseDuis } = require('@smartdcc/duis-parser')
const { signDuis, validateDuis } = require('@smartdcc/duis-sign-wrap')
const { BoxedKeyStore, KeyUsage, normaliseEUI } = require('@smartdcc/dccboxed-keystore')

const [dspUrl, receiverPort, originator, device] = process.argv.slice(2)
if (!dspUrl || !receiverPort || !originator || !device) {
  console.error('usage: node critical_flow.mjs DSP_URL RECEIVER_PORT ORIGINATOR DEVICE')
  process.exit(2)
}
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const TEMPLATE = join(
  ROOT,
  'node_modules/@smartdcc/duis-templates/templates/CS02bNOByNO_6.15.1_SUCCESS_REQUEST_DUIS.XML',
)

function report(leg, data) {
  console.log(JSON.stringify({ leg, ...data }, (_, v) => (typeof v === 'bigint' ? v.toString() : v)))
}

function fail(leg, message) {
  report(leg, { error: message })
  process.exit(1)
}

// Node-RED's gbcs-node.common.ts `removeNotBoxedEntries`: no XML-signing (135) key, only Boxed's Z1 names.
function notBoxedEntry({ role, name }) {
  return role !== 135 && (name === undefined || name.match(/Z1-[a-zA-Z0-9]+(?!PP)[a-zA-Z0-9]{2}-/) !== null)
}

async function digitalSigningKey(keyStore, eui) {
  const found = ((await keyStore.query({ eui, keyUsage: KeyUsage.digitalSignature, lookup: 'privateKey' })) ?? [])
    .filter(notBoxedEntry)
  if (found.length !== 1) throw new Error(`searching for ${normaliseEUI(eui)} privateKey found ${found.length}`)
  return found[0]
}

// gbcs-parser src/crypto.ts signGroupingHeader, step by step (see the header comment).
function signGroupingHeader(payloadBase64, privateKey) {
  const tbs = Buffer.from(payloadBase64, 'base64')
  if (tbs.length === 0 || tbs[0] !== 0xdf) throw new Error('not general signing apdu')
  const signature = sign('SHA256', tbs.subarray(1), { key: privateKey, dsaEncoding: 'ieee-p1363' })
  if (signature.length !== 64) throw new Error('unexpected signature length')
  return Buffer.concat([tbs, Buffer.from([64]), signature]).toString('base64')
}

async function certificateBase64(keyStore, eui, keyUsage, name) {
  const found = ((await keyStore.query({ eui, keyUsage, lookup: 'certificate' })) ?? []).filter((c) => c.name === name)
  if (found.length !== 1) throw new Error(`the keystore has no certificate ${name} for ${eui}`)
  return found[0].certificate.raw.toString('base64')
}

async function post(path, xml) {
  const reply = await fetch(dspUrl + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/xml' },
    body: xml,
  })
  const text = await reply.text()
  if (reply.status !== 200) throw new Error(`HTTP ${reply.status}: ${text.trim()}`)
  return { text, clause: reply.headers.get('x-duis-clause'), reason: reply.headers.get('x-duis-reason') }
}

async function validated(xml) {
  await validateDuis({ xml }) // DCC's tool: XSD and the DSP's signature; throws when either fails
  return parseDuis('simplified', xml)
}

// The Receive Response Service, as Node-RED's dccboxed-config node offers it: POST, application/xml,
// validated by DCC's tool, 204 when valid, 400 when not; kept by RequestID as parsed by duis-parser.
const delivered = new Map()
const waiting = new Map()
const receiver = createServer((request, response) => {
  const chunks = []
  request.on('data', (chunk) => chunks.push(chunk))
  request.on('end', async () => {
    const xml = Buffer.concat(chunks).toString('utf8')
    try {
      const duis = await validated(xml)
      const id = duis.header.requestId
      const key = id ? `${id.originatorId}:${id.targetId}:${id.counter}` : ''
      if (!delivered.has(key)) {
        delivered.set(key, { duis, xml })
        waiting.get(key)?.()
      }
      response.writeHead(204).end()
    } catch (error) {
      report('receive', { refused: String(error).slice(0, 300) })
      response.writeHead(400).end()
    }
  })
})

function answerFor(key, seconds) {
  if (delivered.has(key)) return Promise.resolve(delivered.get(key))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer for ${key} within ${seconds} s`)), seconds * 1000)
    waiting.set(key, () => {
      clearTimeout(timer)
      resolve(delivered.get(key))
    })
  })
}

async function main() {
  await new Promise((resolve) => receiver.listen(Number(receiverPort), '127.0.0.1', resolve))
  const keyStore = await BoxedKeyStore.new(new URL(dspUrl).hostname)
  try {
    const template = parseDuis('simplified', await readFile(TEMPLATE))
    const path = template.body.UpdateSecurityCredentialsKRP.CertificationPathCertificates
    const originatorId = originator.toLowerCase() // as duis-parser writes every EUI-64
    const cv4 = constructDuis('simplified', {
      header: {
        type: 'request',
        requestId: { originatorId, targetId: device.toLowerCase(), counter: 0 },
        commandVariant: 4,
        serviceReference: '6.15',
        serviceReferenceVariant: '6.15.1',
      },
      body: {
        UpdateSecurityCredentialsKRP: {
          RemotePartyRole: 'NetworkOperator',
          ReplacementCertificates: {
            SupplierOrNetworkOperatorCertificates: {
              DigitalSigningCertificate: await certificateBase64(
                keyStore, originatorId, KeyUsage.digitalSignature, 'Z1b-networkOperator-ds'),
              KeyAgreementCertificate: await certificateBase64(
                keyStore, originatorId, KeyUsage.keyAgreement, 'Z1b-networkOperator-ka'),
            },
          },
          CertificationPathCertificates: path,
          ApplyTimeBasedCPVChecks: 'true',
        },
      },
    })
    report('CV 4 built', { requestId: cv4.match(/<sr:RequestID>([^<]*)</)[1] })
    const signedCv4 = await signDuis({ xml: cv4 }) // counter 0: DCC's tool writes the time, as Node-RED leaves it
    let sent = await post('/api/v1/serviceT', signedCv4)
    const transform = await validated(sent.text)
    report('Transform', { responseCode: transform.header.responseCode, clause: sent.clause, reason: sent.reason })
    const preCommand = transform.body?.ResponseMessage?.PreCommand?.GBCSPayload
    if (transform.header.responseCode !== 'I0' || !preCommand) fail('Transform', `no Pre-Command: ${sent.reason}`)

    const key = await digitalSigningKey(keyStore, transform.header.requestId.originatorId)
    report('Pre-Command key', { name: key.name, role: key.role })
    const cv5 = constructDuis('simplified', {
      header: {
        type: 'request',
        requestId: transform.header.requestId, // the Transform's RequestID, as parsed by duis-parser
        commandVariant: 5,
        serviceReference: '6.15',
        serviceReferenceVariant: '6.15.1',
      },
      body: { SignedPreCommand: { GBCSPayload: signGroupingHeader(preCommand, key.privateKey) } },
    })
    sent = await post('/api/v1/serviceS', await signDuis({ xml: cv5, preserveCounter: true }))
    const acknowledgement = await validated(sent.text)
    report('Send Command', { responseCode: acknowledgement.header.responseCode, clause: sent.clause, reason: sent.reason })
    if (acknowledgement.header.responseCode !== 'I99') fail('Send Command', `not I99: ${sent.reason}`)

    const id = transform.header.requestId
    const answer = await answerFor(`${id.originatorId}:${id.targetId}:${id.counter}`, 60)
    const body = Object.keys(answer.duis.body ?? {})
    report('answer delivered', { responseCode: answer.duis.header.responseCode, body })
    if (answer.duis.header.responseCode !== 'I0') fail('answer delivered', answer.xml.slice(0, 500))
    report('done', { done: true, requestId: `${id.originatorId}:${id.targetId}:${id.counter}` })
  } finally {
    await keyStore.cleanup()
    receiver.close()
  }
}

main().catch((error) => fail('flow', String(error?.stack ?? error)))
