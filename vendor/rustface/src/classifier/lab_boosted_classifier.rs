// This file is part of the open-source port of SeetaFace engine, which originally includes three modules:
//      SeetaFace Detection, SeetaFace Alignment, and SeetaFace Identification.
//
// This file is part of the SeetaFace Detection module, containing codes implementing the face detection method described in the following paper:
//
//      Funnel-structured cascade for multi-view face detection with alignment awareness,
//      Shuzhe Wu, Meina Kan, Zhenliang He, Shiguang Shan, Xilin Chen.
//      In Neurocomputing (under review)
//
// Copyright (C) 2016, Visual Information Processing and Learning (VIPL) group,
// Institute of Computing Technology, Chinese Academy of Sciences, Beijing, China.
//
// As an open-source face recognition engine: you can redistribute SeetaFace source codes
// and/or modify it under the terms of the BSD 2-Clause License.
//
// You should have received a copy of the BSD 2-Clause License along with the software.
// If not, see < https://opensource.org/licenses/BSD-2-Clause>.

use super::Score;
use crate::feat::LabBoostedFeatureMap;
use crate::Rectangle;

/// Each base classifier's 256 weights (one per LAB code) side by side in
/// one table, and the thresholds in another, rather than a vector of
/// weights per classifier (patch 5, PATCHES.md).
#[derive(Clone)]
pub struct LabBoostedClassifier {
    features: Vec<(i32, i32)>,
    weights: Vec<[f32; 256]>,
    threshs: Vec<f32>,
}

impl LabBoostedClassifier {
    #[inline]
    pub fn new() -> Self {
        LabBoostedClassifier {
            features: Vec::new(),
            weights: Vec::new(),
            threshs: Vec::new(),
        }
    }

    #[inline]
    pub fn add_feature(&mut self, x: i32, y: i32) {
        self.features.push((x, y));
    }

    #[inline]
    pub fn add_base_classifier(&mut self, weights: Vec<f32>, thresh: f32) {
        // A LAB code is a byte: every model has 256 bins. A shorter list
        // leaves the rest NaN, which fails every threshold, where the
        // published crate would have panicked on the index.
        let mut table = [f32::NAN; 256];
        for (t, w) in table.iter_mut().zip(weights) {
            *t = w;
        }
        self.weights.push(table);
        self.threshs.push(thresh);
    }
}

const K_FEAT_GROUP_SIZE: usize = 10;
const K_STDDEV_THRESH: f64 = 10.0;

impl LabBoostedClassifier {
    pub fn classify(&self, feature_map: &LabBoostedFeatureMap, roi: Rectangle) -> Score {
        let mut positive = true;
        let mut score = 0.0;

        let groups = self
            .features
            .chunks_exact(K_FEAT_GROUP_SIZE)
            .zip(self.weights.chunks_exact(K_FEAT_GROUP_SIZE))
            .zip(self.threshs.chunks_exact(K_FEAT_GROUP_SIZE));
        for ((features, weights), threshs) in groups {
            for (&(offset_x, offset_y), table) in features.iter().zip(weights) {
                let feature_val = feature_map.get_feature_val(offset_x, offset_y, roi);
                score += table[feature_val as usize];
            }
            positive = score >= threshs[K_FEAT_GROUP_SIZE - 1];
            if !positive {
                break;
            }
        }
        positive = positive && (feature_map.get_std_dev(roi) > K_STDDEV_THRESH);

        Score { positive, score }
    }
}
