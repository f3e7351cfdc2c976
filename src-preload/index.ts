// Placeholder preload: exposes nothing yet; the IPC contract (window.quire) comes with the shell issue.
export {};
