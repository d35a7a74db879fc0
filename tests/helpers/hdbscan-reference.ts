import { HDBSCAN } from "../../lib/topics/hdbscan";

/** The parameters a Python reference fixture records for each dataset (hdbscan's names). */
export interface ReferenceParams {
  min_cluster_size: number;
  min_samples?: number;
  method?: "eom" | "leaf";
  allow_single_cluster?: boolean;
}

/** An HDBSCAN configured as the reference dataset was. */
export function hdbscanFromReference(params: ReferenceParams): HDBSCAN {
  return new HDBSCAN({
    minClusterSize: params.min_cluster_size,
    minSamples: params.min_samples,
    clusterSelectionMethod: params.method ?? "eom",
    allowSingleCluster: params.allow_single_cluster ?? false,
  });
}
