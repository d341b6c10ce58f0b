// The town this installation serves: its centre is the default location for distances.
export const TOWN = { name: "Lindenau", lat: 50.479, lon: 9.523 };
