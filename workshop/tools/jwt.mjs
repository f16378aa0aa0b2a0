// Looks inside a JWT, and makes a forged one, for module 2 of the workshop:
//   node workshop/tools/jwt.mjs decode <token>          its header and claims (no check at all)
//   node workshop/tools/jwt.mjs forge-sub <token> <sub>  the same token claiming another `sub`,
//                                                       with the original signature kept
// A JWT is three base64url parts, header.claims.signature: anyone can read and rewrite the first
// two; only the issuer's private key can make a signature that matches them.
// https://datatracker.ietf.org/doc/html/rfc7519

const [command, token, sub] = process.argv.slice(2);
const parts = (token ?? '').split('.');
if (parts.length !== 3 || (command !== 'decode' && command !== 'forge-sub')) {
  console.error('Usage: node workshop/tools/jwt.mjs decode <token> | forge-sub <token> <sub>');
  process.exit(2);
}
const [header, claims, signature] = parts;
const read = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

if (command === 'decode') {
  console.log(JSON.stringify({ header: read(header), claims: read(claims) }, null, 2));
} else {
  if (!sub) {
    console.error('forge-sub needs the sub to claim');
    process.exit(2);
  }
  const forged = Buffer.from(JSON.stringify({ ...read(claims), sub })).toString('base64url');
  console.log(`${header}.${forged}.${signature}`);
}
