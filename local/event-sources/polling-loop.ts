/** An event source mapping's poller: a loop that runs from start() until stop() returns. */
export abstract class PollingLoop {
  protected running = false;
  private loop: Promise<void> | undefined;

  protected abstract poll(): Promise<void>;

  start() {
    this.running = true;
    this.loop = this.poll();
  }

  async stop() {
    this.running = false;
    await this.loop;
  }
}
