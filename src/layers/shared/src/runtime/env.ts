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

/**
 * What every AWS SDK client here is created with. A dependency that cannot be reached fails a
 * call within the connection timeout (the API answers 503, the workflow retries) instead of
 * holding the function until its own timeout.
 */
export const awsClientConfig = { requestHandler: { connectionTimeout: 2000 } } as const;
