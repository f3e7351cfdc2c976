/**
 * The logging surface the kernel layer needs. Injected so the daemon can route kernel
 * trouble into its own log, and tests can assert on warnings without scraping stderr.
 */
export interface KernelLogger {
  info(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
}

export const consoleKernelLogger: KernelLogger = {
  info: (message, ...details) => console.info(`[kernels] ${message}`, ...details),
  warn: (message, ...details) => console.warn(`[kernels] ${message}`, ...details),
  error: (message, ...details) => console.error(`[kernels] ${message}`, ...details),
};
