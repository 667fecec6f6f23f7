// What worker `w` writes into its block `j`: one writer per block, so a byte
// written through an overlapping block shows up as a wrong tag.
export const tagOf = (w, j) => (w * 97 + j * 13 + 1) & 0xff;
