//! Pipelines: one shader variant per kind of image texture, and a render pipeline per
//! set of stages (the shader's override constants), built once and cached.

use crate::params::{Params, display_shader};
use crate::{PipelineSpec, Renderer};

/// The kind of image texture, which selects the pipeline variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum TexKind {
    Uint,
    Sint,
    Float,
    Color,
    Palette,
}

impl TexKind {
    pub(crate) const ALL: [TexKind; 5] = [
        TexKind::Uint,
        TexKind::Sint,
        TexKind::Float,
        TexKind::Color,
        TexKind::Palette,
    ];

    /// The kind's place in [`TexKind::ALL`].
    pub(crate) fn index(self) -> usize {
        TexKind::ALL.iter().position(|&k| k == self).unwrap_or(0)
    }

    pub(crate) fn shader(self) -> (&'static str, u32) {
        match self {
            TexKind::Uint => ("u32", 0),
            TexKind::Sint => ("i32", 0),
            TexKind::Float => ("f32", 0),
            TexKind::Color => ("f32", 1),
            TexKind::Palette => ("u32", 2),
        }
    }

    pub(crate) fn sample_type(self) -> wgpu::TextureSampleType {
        match self {
            TexKind::Uint | TexKind::Palette => wgpu::TextureSampleType::Uint,
            TexKind::Sint => wgpu::TextureSampleType::Sint,
            TexKind::Float | TexKind::Color => wgpu::TextureSampleType::Float { filterable: false },
        }
    }
}

pub(crate) struct Variant {
    pub(crate) layout: wgpu::BindGroupLayout,
    pub(crate) module: wgpu::ShaderModule,
    pub(crate) pipeline_layout: wgpu::PipelineLayout,
    /// The layout of `fs_cached`: the image's group and the value cache's.
    pub(crate) cached_layout: wgpu::PipelineLayout,
}

/// Which of the display shader's entry points a pipeline runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Entry {
    /// The image, sampled and shaded per pixel (`fs_main`).
    Image,
    /// The viewport in the background colour (`fs_background`).
    Background,
    /// The sampled values into the value cache (`fs_values`, an R32Float target).
    Values,
    /// The image shaded from the value cache (`fs_cached`).
    Cached,
}

/// The stages a pipeline contains (the shader's override constants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PipelineKey {
    pub(crate) kind: TexKind,
    pub(crate) filter: u32,
    pub(crate) modality: u32,
    pub(crate) voi: u32,
    pub(crate) supplemental: u32,
    /// An overlay bitmap ([`DrawState::overlay`](crate::DrawState::overlay)).
    pub(crate) overlay: u32,
    /// The Presentation stage: bit 0 a Presentation LUT table, bit 1 INVERSE.
    pub(crate) presentation: u32,
    /// The entry point.
    pub(crate) entry: Entry,
}

impl Renderer {
    pub(crate) fn variant(
        device: &wgpu::Device,
        kind: TexKind,
        value_layout: &wgpu::BindGroupLayout,
    ) -> Variant {
        let (sample_type, k) = kind.shader();
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("hounsfield display"),
            source: wgpu::ShaderSource::Wgsl(display_shader(sample_type, k).into()),
        });
        let texture = crate::fragment_texture;
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("hounsfield display"),
            entries: &[
                crate::uniform_entry(
                    0,
                    wgpu::ShaderStages::VERTEX_FRAGMENT,
                    std::mem::size_of::<Params>(),
                ),
                texture(1, kind.sample_type(), wgpu::TextureViewDimension::D2Array),
                texture(
                    2,
                    wgpu::TextureSampleType::Uint,
                    wgpu::TextureViewDimension::D2,
                ),
                texture(
                    3,
                    wgpu::TextureSampleType::Uint,
                    wgpu::TextureViewDimension::D2,
                ),
                texture(
                    4,
                    wgpu::TextureSampleType::Float { filterable: false },
                    wgpu::TextureViewDimension::D2,
                ),
                wgpu::BindGroupLayoutEntry {
                    binding: 5,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::NonFiltering),
                    count: None,
                },
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("hounsfield display"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let cached_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("hounsfield display from the value cache"),
            bind_group_layouts: &[Some(&layout), Some(value_layout)],
            immediate_size: 0,
        });
        Variant {
            layout,
            module,
            pipeline_layout,
            cached_layout,
        }
    }

    /// The pipeline with exactly the stages `key` names, created on first use.
    pub(crate) fn pipeline(&self, key: PipelineKey) -> wgpu::RenderPipeline {
        let mut cache = self.pipelines.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = cache.get(&key) {
            return p.clone();
        }
        let variant = self.variant_for(key.kind);
        let constants = [
            ("FILTER_MODE", f64::from(key.filter)),
            ("MODALITY_KIND", f64::from(key.modality)),
            ("VOI_KIND", f64::from(key.voi)),
            ("SUPPLEMENTAL", f64::from(key.supplemental)),
            ("OVERLAY", f64::from(key.overlay)),
            ("PRESENTATION", f64::from(key.presentation)),
        ];
        let (vertex, fragment) = match key.entry {
            Entry::Image => ("vs_main", "fs_main"),
            Entry::Background => ("vs_background", "fs_background"),
            Entry::Values => ("vs_main", "fs_values"),
            Entry::Cached => ("vs_main", "fs_cached"),
        };
        let pipeline = PipelineSpec {
            label: "hounsfield display",
            layout: if key.entry == Entry::Cached {
                &variant.cached_layout
            } else {
                &variant.pipeline_layout
            },
            module: &variant.module,
            vertex,
            fragment,
            constants: &constants,
            format: if key.entry == Entry::Values {
                wgpu::TextureFormat::R32Float
            } else {
                self.format
            },
            // A layer: premultiplied colour over what the pass holds.
            blend: (key.overlay == 3 && key.entry == Entry::Image)
                .then_some(wgpu::BlendState::PREMULTIPLIED_ALPHA_BLENDING),
        }
        .create(&self.device);
        cache.insert(key, pipeline.clone());
        pipeline
    }

    pub(crate) fn variant_for(&self, kind: TexKind) -> &Variant {
        self.variants[kind.index()]
            .get_or_init(|| Self::variant(&self.device, kind, &self.value_layout))
    }
}
