// A code cell's outputs; the renderers live in ./outputs/ (one module per kind of output).
export { Outputs, type NbOutput } from './outputs/OutputArea';
