export * from './pyjson';
export * from './nbformat';
