/**
 * Reads a required environment variable. A missing variable is a deployment mistake, so it fails
 * at cold start with a message naming the variable instead of failing later with `undefined`.
 */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`Environment variable ${name} is required but not set`);
  }
  return value;
}
