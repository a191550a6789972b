<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
<context>
    <name>Preset</name>
    <message>
        <source>KD (logits)</source>
        <translation>KD (logits)</translation>
    </message>
    <message>
        <source>FitNets (hint)</source>
        <translation>FitNets (hint)</translation>
    </message>
    <message>
        <source>Attention transfer</source>
        <translation>Attention transfer</translation>
    </message>
    <message>
        <source>Pixel-wise KD</source>
        <translation>Pixel-wise KD</translation>
    </message>
    <message>
        <source>Pair-wise KD</source>
        <translation>Pair-wise KD</translation>
    </message>
    <message>
        <source>CWD on logits</source>
        <translation>CWD on logits</translation>
    </message>
    <message>
        <source>CWD on features</source>
        <translation>CWD on features</translation>
    </message>
    <message>
        <source>KD needs class-logit vectors (a classification data set)</source>
        <translation>KD needs class-logit vectors (a classification data set)</translation>
    </message>
    <message>
        <source>pixel-wise KD needs dense logits (a segmentation data set)</source>
        <translation>pixel-wise KD needs dense logits (a segmentation data set)</translation>
    </message>
    <message>
        <source>CWD on logits needs dense logits (a segmentation data set)</source>
        <translation>CWD on logits needs dense logits (a segmentation data set)</translation>
    </message>
    <message>
        <source>the models have no spatial feature taps</source>
        <translation>the models have no spatial feature taps</translation>
    </message>
    <message>
        <source>Decoupled KD (DKD)</source>
        <translation>Decoupled KD (DKD)</translation>
    </message>
    <message>
        <source>DIST (correlation of predictions)</source>
        <translation>DIST (correlation of predictions)</translation>
    </message>
    <message>
        <source>Similarity-preserving (SP)</source>
        <translation>Similarity-preserving (SP)</translation>
    </message>
    <message>
        <source>Correlation congruence (CC)</source>
        <translation>Correlation congruence (CC)</translation>
    </message>
    <message>
        <source>Relational KD (RKD)</source>
        <translation>Relational KD (RKD)</translation>
    </message>
    <message>
        <source>Probabilistic transfer (PKT)</source>
        <translation>Probabilistic transfer (PKT)</translation>
    </message>
    <message>
        <source>Neural selectivity transfer (NST)</source>
        <translation>Neural selectivity transfer (NST)</translation>
    </message>
    <message>
        <source>Variational information (VID)</source>
        <translation>Variational information (VID)</translation>
    </message>
    <message>
        <source>Contrastive representation (CRD)</source>
        <translation>Contrastive representation (CRD)</translation>
    </message>
    <message>
        <source>%1 needs class-logit vectors (a classification data set)</source>
        <translation>%1 needs class-logit vectors (a classification data set)</translation>
    </message>
    <message>
        <source>the models have no feature taps</source>
        <translation>the models have no feature taps</translation>
    </message>
    <message>
        <source>Flow of solution procedure (FSP)</source>
        <translation>Flow of solution procedure (FSP)</translation>
    </message>
    <message>
        <source>Knowledge review (ReviewKD)</source>
        <translation>Knowledge review (ReviewKD)</translation>
    </message>
    <message>
        <source>FSP needs two consecutive feature taps with the same channel counts on both models</source>
        <translation>FSP needs two consecutive feature taps with the same channel counts on both models</translation>
    </message>
    <message>
        <source>Activation boundaries (AB)</source>
        <translation>Activation boundaries (AB)</translation>
    </message>
    <message>
        <source>Factor transfer (FT)</source>
        <translation>Factor transfer (FT)</translation>
    </message>
    <message>
        <source>CWD on the neck (detection)</source>
        <translation>CWD on the neck (detection)</translation>
    </message>
    <message>
        <source>FGD, focal and global (detection)</source>
        <translation>FGD, focal and global (detection)</translation>
    </message>
    <message>
        <source>%1 needs two detectors (a detection data set)</source>
        <translation>%1 needs two detectors (a detection data set)</translation>
    </message>
</context>
<context>
    <name>Project</name>
    <message>
        <source>%1 already holds a project</source>
        <translation>%1 already holds a project</translation>
    </message>
    <message>
        <source>cannot create the folder %1</source>
        <translation>cannot create the folder %1</translation>
    </message>
    <message>
        <source>%1 is not a project folder (no recipe.yaml)</source>
        <translation>%1 is not a project folder (no recipe.yaml)</translation>
    </message>
</context>
<context>
    <name>TapGroup</name>
    <message>
        <source>named taps</source>
        <translation>named taps</translation>
    </message>
    <message>
        <source>vectors</source>
        <translation>vectors</translation>
    </message>
</context>
<context>
    <name>distillery</name>
    <message>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
    <message>
        <source>%1 min %2 s</source>
        <translation>%1 min %2 s</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 h %2 min</translation>
    </message>
</context>
<context>
    <name>distillery::BackgroundWork</name>
    <message>
        <source>unexpected error</source>
        <translation>unexpected error</translation>
    </message>
</context>
<context>
    <name>distillery::BitWidthDelegate</name>
    <message>
        <source>float</source>
        <translation>float</translation>
    </message>
</context>
<context>
    <name>distillery::ChannelDistributionView</name>
    <message>
        <source>The first samples of the validation split</source>
        <translation>The first samples of the validation split</translation>
    </message>
    <message>
        <source>The first of the %1 channels shown (in the order of the plot)</source>
        <translation>The first of the %1 channels shown (in the order of the plot)</translation>
    </message>
    <message>
        <source>Sort by KL</source>
        <translation>Sort by KL</translation>
    </message>
    <message>
        <source>Compute</source>
        <translation>Compute</translation>
    </message>
    <message>
        <source>Samples:</source>
        <translation>Samples:</translation>
    </message>
    <message>
        <source>From:</source>
        <translation>From:</translation>
    </message>
    <message>
        <source>channel</source>
        <translation>channel</translation>
    </message>
    <message>
        <source>activation (5–25–50–75–95 %)</source>
        <translation>activation (5–25–50–75–95 %)</translation>
    </message>
    <message>
        <source>KL(p_T ‖ p_S)</source>
        <translation>KL(p_T ‖ p_S)</translation>
    </message>
    <message>
        <source>activation</source>
        <translation>activation</translation>
    </message>
    <message>
        <source>share of values</source>
        <translation>share of values</translation>
    </message>
    <message>
        <source>Mean spatial softmax at τ (what CWD compares): teacher, student</source>
        <translation>Mean spatial softmax at τ (what CWD compares): teacher, student</translation>
    </message>
    <message>
        <source>Pick a channel in the channel inspector and press Distributions, or Compute here.</source>
        <translation>Pick a channel in the channel inspector and press Distributions, or Compute here.</translation>
    </message>
    <message>
        <source>Computing the distributions of %1 samples…</source>
        <translation>Computing the distributions of %1 samples…</translation>
    </message>
    <message>
        <source>%1: %2 channels over %3 samples (%4×%5); mean KL at τ = %6: %7 (CWD&apos;s loss τ²·mean KL = %8). Click a box for its channel.</source>
        <translation>%1: %2 channels over %3 samples (%4×%5); mean KL at τ = %6: %7 (CWD&apos;s loss τ²·mean KL = %8). Click a box for its channel.</translation>
    </message>
    <message>
        <source>%1: %2 channels of the student over %3 samples (%4×%5). Click a box for its channel.</source>
        <translation>%1: %2 channels of the student over %3 samples (%4×%5). Click a box for its channel.</translation>
    </message>
    <message>
        <source>KL</source>
        <translation>KL</translation>
    </message>
    <message>
        <source>teacher</source>
        <translation>teacher</translation>
    </message>
    <message>
        <source>student</source>
        <translation>student</translation>
    </message>
    <message>
        <source>channel (worst KL first)</source>
        <translation>channel (worst KL first)</translation>
    </message>
    <message>
        <source>share of values (%)</source>
        <translation>share of values (%)</translation>
    </message>
    <message>
        <source>&lt;b&gt;Channel %1&lt;/b&gt;&lt;br&gt;student mean %2, std %3</source>
        <translation>&lt;b&gt;Channel %1&lt;/b&gt;&lt;br&gt;student mean %2, std %3</translation>
    </message>
    <message>
        <source>&lt;br&gt;teacher mean %1, std %2&lt;br&gt;KL(p_T‖p_S) at τ = %3: &lt;b&gt;%4&lt;/b&gt;</source>
        <translation>&lt;br&gt;teacher mean %1, std %2&lt;br&gt;KL(p_T‖p_S) at τ = %3: &lt;b&gt;%4&lt;/b&gt;</translation>
    </message>
    <message>
        <source>&lt;br&gt;&lt;span style=&quot;color:#b00000&quot;&gt;the student&apos;s channel is constant (dead)&lt;/span&gt;</source>
        <translation>&lt;br&gt;&lt;span style=&quot;color:#b00000&quot;&gt;the student&apos;s channel is constant (dead)&lt;/span&gt;</translation>
    </message>
</context>
<context>
    <name>distillery::ChannelInspectorView</name>
    <message>
        <source>teacher</source>
        <translation>teacher</translation>
    </message>
    <message>
        <source>student</source>
        <translation>student</translation>
    </message>
    <message>
        <source>Teacher tap ← student tap (the student as the loss sees it, after its adapter)</source>
        <translation>Teacher tap ← student tap (the student as the loss sees it, after its adapter)</translation>
    </message>
    <message>
        <source>val</source>
        <translation>val</translation>
    </message>
    <message>
        <source>train</source>
        <translation>train</translation>
    </message>
    <message>
        <source> ms</source>
        <translation> ms</translation>
    </message>
    <message>
        <source>off</source>
        <translation>off</translation>
    </message>
    <message>
        <source>Refresh interval while a job runs (0 = off)</source>
        <translation>Refresh interval while a job runs (0 = off)</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Refresh</translation>
    </message>
    <message>
        <source>Taps</source>
        <translation>Taps</translation>
    </message>
    <message>
        <source>Split</source>
        <translation>Split</translation>
    </message>
    <message>
        <source>Sample</source>
        <translation>Sample</translation>
    </message>
    <message>
        <source>Live every</source>
        <translation>Live every</translation>
    </message>
    <message>
        <source>Raw (shared range per channel)</source>
        <translation>Raw (shared range per channel)</translation>
    </message>
    <message>
        <source>Per-channel min–max</source>
        <translation>Per-channel min–max</translation>
    </message>
    <message>
        <source>CWD spatial softmax at τ</source>
        <translation>CWD spatial softmax at τ</translation>
    </message>
    <message>
        <source>Temperature of the spatial softmax (display and KL)</source>
        <translation>Temperature of the spatial softmax (display and KL)</translation>
    </message>
    <message>
        <source>Tile size</source>
        <translation>Tile size</translation>
    </message>
    <message>
        <source>Sort bars by KL</source>
        <translation>Sort bars by KL</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>Show</translation>
    </message>
    <message>
        <source>τ</source>
        <translation>τ</translation>
    </message>
    <message>
        <source>Tiles</source>
        <translation>Tiles</translation>
    </message>
    <message>
        <source>No snapshot yet: pick a tap pair and a sample.</source>
        <translation>No snapshot yet: pick a tap pair and a sample.</translation>
    </message>
    <message>
        <source>input</source>
        <translation>input</translation>
    </message>
    <message>
        <source>student − teacher</source>
        <translation>student − teacher</translation>
    </message>
    <message>
        <source>KL(p_T ‖ p_S)</source>
        <translation>KL(p_T ‖ p_S)</translation>
    </message>
    <message>
        <source>channel %1</source>
        <translation>channel %1</translation>
    </message>
    <message>
        <source>
teacher: %1 … %2</source>
        <translation>
teacher: %1 … %2</translation>
    </message>
    <message>
        <source>
student: %1 … %2</source>
        <translation>
student: %1 … %2</translation>
    </message>
    <message>
        <source>
KL(p_T‖p_S) = %1</source>
        <translation>
KL(p_T‖p_S) = %1</translation>
    </message>
    <message>
        <source>%1 ← %2</source>
        <translation>%1 ← %2</translation>
    </message>
    <message>
        <source>The snapshot holds no student feature map.</source>
        <translation>The snapshot holds no student feature map.</translation>
    </message>
    <message>
        <source>channel (sorted by KL, worst first)</source>
        <translation>channel (sorted by KL, worst first)</translation>
    </message>
    <message>
        <source>channel</source>
        <translation>channel</translation>
    </message>
    <message>
        <source>Click a tile or bar to enlarge it.</source>
        <translation>Click a tile or bar to enlarge it.</translation>
    </message>
    <message>
        <source>student, channel %1</source>
        <translation>student, channel %1</translation>
    </message>
    <message>
        <source>T %1 … %2 · S %3 … %4</source>
        <translation>T %1 … %2 · S %3 … %4</translation>
    </message>
    <message>
        <source>%1 … %2</source>
        <translation>%1 … %2</translation>
    </message>
    <message>
        <source>teacher, channel %1</source>
        <translation>teacher, channel %1</translation>
    </message>
    <message>
        <source>−%1 … +%1</source>
        <translation>−%1 … +%1</translation>
    </message>
    <message>
        <source>&lt;b&gt;Channel %1&lt;/b&gt;</source>
        <translation>&lt;b&gt;Channel %1&lt;/b&gt;</translation>
    </message>
    <message>
        <source>KL(p_T‖p_S) at τ = %1: &lt;b&gt;%2&lt;/b&gt; (rank %3 of %4, worst first)</source>
        <translation>KL(p_T‖p_S) at τ = %1: &lt;b&gt;%2&lt;/b&gt; (rank %3 of %4, worst first)</translation>
    </message>
    <message>
        <source>teacher raw %1 … %2%3</source>
        <translation>teacher raw %1 … %2%3</translation>
    </message>
    <message>
        <source> (constant)</source>
        <translation> (constant)</translation>
    </message>
    <message>
        <source>student raw %1 … %2%3</source>
        <translation>student raw %1 … %2%3</translation>
    </message>
    <message>
        <source>Waiting for a snapshot.</source>
        <translation>Waiting for a snapshot.</translation>
    </message>
    <message>
        <source>step %1</source>
        <translation>step %1</translation>
    </message>
    <message>
        <source>%1 sample %2</source>
        <translation>%1 sample %2</translation>
    </message>
    <message>
        <source>teacher %1 %2</source>
        <translation>teacher %1 %2</translation>
    </message>
    <message>
        <source>student %1 %2</source>
        <translation>student %1 %2</translation>
    </message>
    <message>
        <source>CWD here: τ²·mean KL = %1</source>
        <translation>CWD here: τ²·mean KL = %1</translation>
    </message>
    <message>
        <source>channel counts differ: no adapter pairs these taps; KL compares the first %1</source>
        <translation>channel counts differ: no adapter pairs these taps; KL compares the first %1</translation>
    </message>
    <message>
        <source>student resized to the teacher&apos;s size for KL</source>
        <translation>student resized to the teacher&apos;s size for KL</translation>
    </message>
    <message>
        <source>%1 of %2 student channels constant</source>
        <translation>%1 of %2 student channels constant</translation>
    </message>
    <message>
        <source>Distributions…</source>
        <translation>Distributions…</translation>
    </message>
    <message>
        <source>The selected channel&apos;s activations over many samples, teacher beside student, with every channel&apos;s distribution and KL</source>
        <translation>The selected channel&apos;s activations over many samples, teacher beside student, with every channel&apos;s distribution and KL</translation>
    </message>
    <message>
        <source>FGD mask</source>
        <translation>FGD mask</translation>
    </message>
    <message>
        <source>Detection: outline the cells FGD counts as foreground (the sample&apos;s boxes at this map&apos;s size; brighter where objects are smaller, as FGD weighs them)</source>
        <translation>Detection: outline the cells FGD counts as foreground (the sample&apos;s boxes at this map&apos;s size; brighter where objects are smaller, as FGD weighs them)</translation>
    </message>
</context>
<context>
    <name>distillery::DataDock</name>
    <message>
        <source>Fashion-MNIST</source>
        <translation>Fashion-MNIST</translation>
    </message>
    <message>
        <source>Fashion-Scenes (segmentation)</source>
        <translation>Fashion-Scenes (segmentation)</translation>
    </message>
    <message>
        <source>Image folder (classification)</source>
        <translation>Image folder (classification)</translation>
    </message>
    <message>
        <source>Image and mask folder (segmentation)</source>
        <translation>Image and mask folder (segmentation)</translation>
    </message>
    <message>
        <source>CIFAR-10</source>
        <translation>CIFAR-10</translation>
    </message>
    <message>
        <source>CIFAR-100</source>
        <translation>CIFAR-100</translation>
    </message>
    <message>
        <source>Data</source>
        <translation>Data</translation>
    </message>
    <message>
        <source>default location</source>
        <translation>default location</translation>
    </message>
    <message>
        <source>split off the training folder</source>
        <translation>split off the training folder</translation>
    </message>
    <message>
        <source>keep</source>
        <translation>keep</translation>
    </message>
    <message>
        <source> px</source>
        <translation> px</translation>
    </message>
    <message>
        <source>Colour (3 channels)</source>
        <translation>Colour (3 channels)</translation>
    </message>
    <message>
        <source>Grey (1 channel)</source>
        <translation>Grey (1 channel)</translation>
    </message>
    <message>
        <source>…</source>
        <translation>…</translation>
    </message>
    <message>
        <source>Choose a folder</source>
        <translation>Choose a folder</translation>
    </message>
    <message>
        <source>Data &amp;set:</source>
        <translation>Data &amp;set:</translation>
    </message>
    <message>
        <source>&amp;Folder:</source>
        <translation>&amp;Folder:</translation>
    </message>
    <message>
        <source>&amp;Validation folder:</source>
        <translation>&amp;Validation folder:</translation>
    </message>
    <message>
        <source>&amp;Image size:</source>
        <translation>&amp;Image size:</translation>
    </message>
    <message>
        <source>&amp;Channels:</source>
        <translation>&amp;Channels:</translation>
    </message>
    <message>
        <source>Scene &amp;size:</source>
        <translation>Scene &amp;size:</translation>
    </message>
    <message>
        <source>&amp;Previous</source>
        <translation>&amp;Previous</translation>
    </message>
    <message>
        <source>&amp;Next</source>
        <translation>&amp;Next</translation>
    </message>
    <message>
        <source>Change validation folder</source>
        <translation>Change validation folder</translation>
    </message>
    <message>
        <source>Change image size</source>
        <translation>Change image size</translation>
    </message>
    <message>
        <source>Change image channels</source>
        <translation>Change image channels</translation>
    </message>
    <message>
        <source>Change scene size</source>
        <translation>Change scene size</translation>
    </message>
    <message>
        <source>Change data set to %1</source>
        <translation>Change data set to %1</translation>
    </message>
    <message>
        <source>Change data folder</source>
        <translation>Change data folder</translation>
    </message>
    <message>
        <source>Validation folder</source>
        <translation>Validation folder</translation>
    </message>
    <message>
        <source>Data folder</source>
        <translation>Data folder</translation>
    </message>
    <message>
        <source>Opening the data set…</source>
        <translation>Opening the data set…</translation>
    </message>
    <message>
        <source>Sample %1: %2</source>
        <translation>Sample %1: %2</translation>
    </message>
    <message>
        <source>segmentation</source>
        <translation>segmentation</translation>
    </message>
    <message>
        <source>classification</source>
        <translation>classification</translation>
    </message>
    <message>
        <source>%1 · %2 training / %3 validation samples · %4×%5×%6 · %7 classes</source>
        <translation>%1 · %2 training / %3 validation samples · %4×%5×%6 · %7 classes</translation>
    </message>
    <message>
        <source>samples %1–%2 of %3</source>
        <translation>samples %1–%2 of %3</translation>
    </message>
    <message>
        <source>Fashion-Scenes (detection)</source>
        <translation>Fashion-Scenes (detection)</translation>
    </message>
    <message>
        <source>COCO instances JSON (detection)</source>
        <translation>COCO instances JSON (detection)</translation>
    </message>
    <message>
        <source>detection</source>
        <translation>detection</translation>
    </message>
</context>
<context>
    <name>distillery::DocumentationViewer</name>
    <message>
        <source>Distillery Documentation</source>
        <translation>Distillery Documentation</translation>
    </message>
    <message>
        <source>The documentation is not installed: no README.md was found beside Distillery (share/distillery/doc). Reinstall the package to get it.</source>
        <translation>The documentation is not installed: no README.md was found beside Distillery (share/distillery/doc). Reinstall the package to get it.</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>Back</translation>
    </message>
    <message>
        <source>Forward</source>
        <translation>Forward</translation>
    </message>
    <message>
        <source>%1 is not part of the installed documentation.</source>
        <translation>%1 is not part of the installed documentation.</translation>
    </message>
</context>
<context>
    <name>distillery::EngineBridge</name>
    <message>
        <source>A run is already in progress.</source>
        <translation>A run is already in progress.</translation>
    </message>
</context>
<context>
    <name>distillery::Format</name>
    <message>
        <source>top-1</source>
        <translation>top-1</translation>
    </message>
    <message>
        <source>mIoU</source>
        <translation>mIoU</translation>
    </message>
</context>
<context>
    <name>distillery::GeneratedImagesView</name>
    <message>
        <source>No generated images.</source>
        <translation>No generated images.</translation>
    </message>
    <message>
        <source>asked for: %1
teacher: %2
student: %3</source>
        <translation>asked for: %1
teacher: %2
student: %3</translation>
    </message>
    <message>
        <source>Select a data-free run to see the images its student learned from.</source>
        <translation>Select a data-free run to see the images its student learned from.</translation>
    </message>
    <message>
        <source>New images</source>
        <translation>New images</translation>
    </message>
    <message>
        <source>Draw other latent codes from the same generator</source>
        <translation>Draw other latent codes from the same generator</translation>
    </message>
    <message>
        <source>Teacher disagrees only</source>
        <translation>Teacher disagrees only</translation>
    </message>
    <message>
        <source>Only the images the teacher sees as another class than the one asked for</source>
        <translation>Only the images the teacher sees as another class than the one asked for</translation>
    </message>
    <message>
        <source>Generating images with the generator of %1…</source>
        <translation>Generating images with the generator of %1…</translation>
    </message>
    <message>
        <source>&lt;span style=&apos;color:#b00020&apos;&gt;No generated images: %1&lt;/span&gt;</source>
        <translation>&lt;span style=&apos;color:#b00020&apos;&gt;No generated images: %1&lt;/span&gt;</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1 generated images&lt;/b&gt; — the student never saw a training image, only these. The teacher sees the class asked for in &lt;b&gt;%2 %&lt;/b&gt; (red frame: another class); the student agrees with the teacher on &lt;b&gt;%3 %&lt;/b&gt;.&lt;br&gt;Batch statistics against the teacher&apos;s training data, in units of its spread (0 = the same): mean &lt;b&gt;%4&lt;/b&gt;, log-variance &lt;b&gt;%5&lt;/b&gt;</source>
        <translation>&lt;b&gt;%1 generated images&lt;/b&gt; — the student never saw a training image, only these. The teacher sees the class asked for in &lt;b&gt;%2 %&lt;/b&gt; (red frame: another class); the student agrees with the teacher on &lt;b&gt;%3 %&lt;/b&gt;.&lt;br&gt;Batch statistics against the teacher&apos;s training data, in units of its spread (0 = the same): mean &lt;b&gt;%4&lt;/b&gt;, log-variance &lt;b&gt;%5&lt;/b&gt;</translation>
    </message>
    <message>
        <source> (untrained generator: %1 and %2; teacher sees the class asked for in %3 %)</source>
        <translation> (untrained generator: %1 and %2; teacher sees the class asked for in %3 %)</translation>
    </message>
</context>
<context>
    <name>distillery::LossCurvesView</name>
    <message>
        <source>Smoothing</source>
        <translation>Smoothing</translation>
    </message>
    <message>
        <source>Exponential moving average of the loss curves (raw data stays faint)</source>
        <translation>Exponential moving average of the loss curves (raw data stays faint)</translation>
    </message>
    <message>
        <source>Log scale</source>
        <translation>Log scale</translation>
    </message>
    <message>
        <source>Logarithmic loss axis</source>
        <translation>Logarithmic loss axis</translation>
    </message>
    <message>
        <source>Fit</source>
        <translation>Fit</translation>
    </message>
    <message>
        <source>Show all data and follow new points (or double-click the plot)</source>
        <translation>Show all data and follow new points (or double-click the plot)</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>Export</translation>
    </message>
    <message>
        <source>Save as PNG…</source>
        <translation>Save as PNG…</translation>
    </message>
    <message>
        <source>Save plot</source>
        <translation>Save plot</translation>
    </message>
    <message>
        <source>PNG images (*.png)</source>
        <translation>PNG images (*.png)</translation>
    </message>
    <message>
        <source>Save as CSV…</source>
        <translation>Save as CSV…</translation>
    </message>
    <message>
        <source>Save curves</source>
        <translation>Save curves</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV files (*.csv)</translation>
    </message>
    <message>
        <source>Hover over the plot to read values.</source>
        <translation>Hover over the plot to read values.</translation>
    </message>
    <message>
        <source>loss</source>
        <translation>loss</translation>
    </message>
    <message>
        <source>learning rate</source>
        <translation>learning rate</translation>
    </message>
    <message>
        <source>step</source>
        <translation>step</translation>
    </message>
    <message>
        <source>validation</source>
        <translation>validation</translation>
    </message>
    <message>
        <source>val mIoU (%)</source>
        <translation>val mIoU (%)</translation>
    </message>
    <message>
        <source>val top-1 (%)</source>
        <translation>val top-1 (%)</translation>
    </message>
    <message>
        <source>val %1</source>
        <translation>val %1</translation>
    </message>
    <message>
        <source>&lt;b&gt;step %1&lt;/b&gt;</source>
        <translation>&lt;b&gt;step %1&lt;/b&gt;</translation>
    </message>
    <message>
        <source>%1 (raw %2)</source>
        <translation>%1 (raw %2)</translation>
    </message>
    <message>
        <source>step %1</source>
        <translation>step %1</translation>
    </message>
    <message>
        <source>The validation metric against finished runs of the same student trained alone on the same data and schedule (dashed)</source>
        <translation>The validation metric against finished runs of the same student trained alone on the same data and schedule (dashed)</translation>
    </message>
    <message numerus="yes">
        <source>student alone (%n run(s))</source>
        <translation>
            <numerusform>student alone (%n run)</numerusform>
            <numerusform>student alone (%n runs)</numerusform>
        </translation>
    </message>
    <message>
        <source>student alone: %1 %2 at the end</source>
        <translation>student alone: %1 %2 at the end</translation>
    </message>
    <message>
        <source>%1 vs the student alone at epoch %2: %3</source>
        <translation>%1 vs the student alone at epoch %2: %3</translation>
    </message>
</context>
<context>
    <name>distillery::LossTermsModel</name>
    <message>
        <source>Cross-entropy with the labels</source>
        <translation>Cross-entropy with the labels</translation>
    </message>
    <message>
        <source>Hinton KD: match the teacher&apos;s softened class probabilities</source>
        <translation>Hinton KD: match the teacher&apos;s softened class probabilities</translation>
    </message>
    <message>
        <source>FitNets hint: regress the teacher&apos;s feature map through a 1×1 conv</source>
        <translation>FitNets hint: regress the teacher&apos;s feature map through a 1×1 conv</translation>
    </message>
    <message>
        <source>Attention transfer: match where the feature maps are active</source>
        <translation>Attention transfer: match where the feature maps are active</translation>
    </message>
    <message>
        <source>Pixel-wise KD: match class probabilities at every pixel</source>
        <translation>Pixel-wise KD: match class probabilities at every pixel</translation>
    </message>
    <message>
        <source>Pair-wise KD: match the similarities between image regions</source>
        <translation>Pair-wise KD: match the similarities between image regions</translation>
    </message>
    <message>
        <source>Channel-wise distillation: match where each channel puts its mass</source>
        <translation>Channel-wise distillation: match where each channel puts its mass</translation>
    </message>
    <message>
        <source>%1 needs a teacher</source>
        <translation>%1 needs a teacher</translation>
    </message>
    <message>
        <source>the teacher %1 has no tap &apos;%2&apos;</source>
        <translation>the teacher %1 has no tap &apos;%2&apos;</translation>
    </message>
    <message>
        <source>the student %1 has no tap &apos;%2&apos;</source>
        <translation>the student %1 has no tap &apos;%2&apos;</translation>
    </message>
    <message>
        <source>kd compares class-logit vectors of equal length</source>
        <translation>kd compares class-logit vectors of equal length</translation>
    </message>
    <message>
        <source>pixel_kd compares dense logits (segmentation) of equal classes</source>
        <translation>pixel_kd compares dense logits (segmentation) of equal classes</translation>
    </message>
    <message>
        <source>%1 compares spatial C×H×W feature maps</source>
        <translation>%1 compares spatial C×H×W feature maps</translation>
    </message>
    <message>
        <source>Temperature: higher values soften the distributions being matched</source>
        <translation>Temperature: higher values soften the distributions being matched</translation>
    </message>
    <message>
        <source>Multiplier of this term in the total loss</source>
        <translation>Multiplier of this term in the total loss</translation>
    </message>
    <message>
        <source>Method</source>
        <translation>Method</translation>
    </message>
    <message>
        <source>Teacher tap</source>
        <translation>Teacher tap</translation>
    </message>
    <message>
        <source>Student tap</source>
        <translation>Student tap</translation>
    </message>
    <message>
        <source>Weight</source>
        <translation>Weight</translation>
    </message>
    <message>
        <source>τ</source>
        <translation>τ</translation>
    </message>
    <message>
        <source>Change method to %1</source>
        <translation>Change method to %1</translation>
    </message>
    <message>
        <source>Change teacher tap to %1</source>
        <translation>Change teacher tap to %1</translation>
    </message>
    <message>
        <source>Change student tap to %1</source>
        <translation>Change student tap to %1</translation>
    </message>
    <message>
        <source>Change weight</source>
        <translation>Change weight</translation>
    </message>
    <message>
        <source>Change τ</source>
        <translation>Change τ</translation>
    </message>
    <message>
        <source>Add loss term</source>
        <translation>Add loss term</translation>
    </message>
    <message>
        <source>Remove loss term</source>
        <translation>Remove loss term</translation>
    </message>
    <message>
        <source>Similarity-preserving KD: match how similar the samples of a batch are</source>
        <translation>Similarity-preserving KD: match how similar the samples of a batch are</translation>
    </message>
    <message>
        <source>Correlation congruence: match the kernel correlations between samples</source>
        <translation>Correlation congruence: match the kernel correlations between samples</translation>
    </message>
    <message>
        <source>Relational KD: match distances and angles between samples</source>
        <translation>Relational KD: match distances and angles between samples</translation>
    </message>
    <message>
        <source>Probabilistic transfer: match each sample&apos;s neighbour distribution</source>
        <translation>Probabilistic transfer: match each sample&apos;s neighbour distribution</translation>
    </message>
    <message>
        <source>Neural selectivity transfer: match the channels&apos; spatial patterns (MMD)</source>
        <translation>Neural selectivity transfer: match the channels&apos; spatial patterns (MMD)</translation>
    </message>
    <message>
        <source>Decoupled KD: target-class and non-target-class KD, weighted apart</source>
        <translation>Decoupled KD: target-class and non-target-class KD, weighted apart</translation>
    </message>
    <message>
        <source>DIST: match the correlations of predictions across classes and samples</source>
        <translation>DIST: match the correlations of predictions across classes and samples</translation>
    </message>
    <message>
        <source>VID: predict the teacher&apos;s map as a Gaussian with learned variance</source>
        <translation>VID: predict the teacher&apos;s map as a Gaussian with learned variance</translation>
    </message>
    <message>
        <source>CRD: contrast each sample&apos;s embedding with negatives from a memory bank</source>
        <translation>CRD: contrast each sample&apos;s embedding with negatives from a memory bank</translation>
    </message>
    <message>
        <source>FSP: match the Gram matrices between consecutive taps (the flow from one stage to the next)</source>
        <translation>FSP: match the Gram matrices between consecutive taps (the flow from one stage to the next)</translation>
    </message>
    <message>
        <source>ReviewKD: fuse the student&apos;s stages deep-to-shallow and match every teacher stage</source>
        <translation>ReviewKD: fuse the student&apos;s stages deep-to-shallow and match every teacher stage</translation>
    </message>
    <message>
        <source>%1 reads these taps in order; choosing the method again fills the usual ones (the recipe&apos;s YAML sets others)</source>
        <translation>%1 reads these taps in order; choosing the method again fills the usual ones (the recipe&apos;s YAML sets others)</translation>
    </message>
    <message>
        <source>AB: teach which neurons fire (pre-activation signs), in a stage before training</source>
        <translation>AB: teach which neurons fire (pre-activation signs), in a stage before training</translation>
    </message>
    <message>
        <source>FT: match the teacher&apos;s factors, from a paraphraser trained on the teacher first</source>
        <translation>FT: match the teacher&apos;s factors, from a paraphraser trained on the teacher first</translation>
    </message>
    <message>
        <source>%1 cannot pair the teacher&apos;s %2 with the student&apos;s %3</source>
        <translation>%1 cannot pair the teacher&apos;s %2 with the student&apos;s %3</translation>
    </message>
    <message>
        <source>FGD (detection): match features inside and outside the boxes under the teacher&apos;s attention, and their global relations</source>
        <translation>FGD (detection): match features inside and outside the boxes under the teacher&apos;s attention, and their global relations</translation>
    </message>
    <message>
        <source>IDD (segmentation): match the distances between the classes&apos; feature centres, and where each class lives in the image</source>
        <translation>IDD (segmentation): match the distances between the classes&apos; feature centres, and where each class lives in the image</translation>
    </message>
    <message>
        <source>DML: a peer model learns beside the student, each from the labels and the other&apos;s predictions</source>
        <translation>DML: a peer model learns beside the student, each from the labels and the other&apos;s predictions</translation>
    </message>
</context>
<context>
    <name>distillery::MainWindow</name>
    <message>
        <source>Loss curves</source>
        <translation>Loss curves</translation>
    </message>
    <message>
        <source>Channel inspector</source>
        <translation>Channel inspector</translation>
    </message>
    <message>
        <source>Predictions</source>
        <translation>Predictions</translation>
    </message>
    <message>
        <source>Runs</source>
        <translation>Runs</translation>
    </message>
    <message>
        <source>Log</source>
        <translation>Log</translation>
    </message>
    <message>
        <source>&amp;New Project…</source>
        <translation>&amp;New Project…</translation>
    </message>
    <message>
        <source>&amp;Open Project…</source>
        <translation>&amp;Open Project…</translation>
    </message>
    <message>
        <source>&amp;Save</source>
        <translation>&amp;Save</translation>
    </message>
    <message>
        <source>&amp;Import Recipe…</source>
        <translation>&amp;Import Recipe…</translation>
    </message>
    <message>
        <source>&amp;Export Recipe…</source>
        <translation>&amp;Export Recipe…</translation>
    </message>
    <message>
        <source>Export Curves as &amp;PNG…</source>
        <translation>Export Curves as &amp;PNG…</translation>
    </message>
    <message>
        <source>Export Curves as &amp;CSV…</source>
        <translation>Export Curves as &amp;CSV…</translation>
    </message>
    <message>
        <source>Se&amp;ttings…</source>
        <translation>Se&amp;ttings…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Quit</translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation>&amp;Undo</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>&amp;Redo</translation>
    </message>
    <message>
        <source>Train &amp;Teacher</source>
        <translation>Train &amp;Teacher</translation>
    </message>
    <message>
        <source>&amp;Distill Student</source>
        <translation>&amp;Distill Student</translation>
    </message>
    <message>
        <source>&amp;Pause</source>
        <translation>&amp;Pause</translation>
    </message>
    <message>
        <source>&amp;Resume</source>
        <translation>&amp;Resume</translation>
    </message>
    <message>
        <source>&amp;Stop</source>
        <translation>&amp;Stop</translation>
    </message>
    <message>
        <source>Run the &amp;Demo</source>
        <translation>Run the &amp;Demo</translation>
    </message>
    <message>
        <source>&amp;Welcome Page</source>
        <translation>&amp;Welcome Page</translation>
    </message>
    <message>
        <source>&amp;Reset Layout</source>
        <translation>&amp;Reset Layout</translation>
    </message>
    <message>
        <source>&amp;About Distillery</source>
        <translation>&amp;About Distillery</translation>
    </message>
    <message>
        <source>About Distillery</source>
        <translation>About Distillery</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;Distillery&lt;/b&gt; %1&lt;/p&gt;&lt;p&gt;A workbench for knowledge distillation: teach a small network to imitate a large one, and watch how it learns.&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;Distillery&lt;/b&gt; %1&lt;/p&gt;&lt;p&gt;A workbench for knowledge distillation: teach a small network to imitate a large one, and watch how it learns.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Train the teacher model alone on the data set (Ctrl+T)</source>
        <translation>Train the teacher model alone on the data set (Ctrl+T)</translation>
    </message>
    <message>
        <source>Train the student with the recipe&apos;s loss terms (F5)</source>
        <translation>Train the student with the recipe&apos;s loss terms (F5)</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;File</translation>
    </message>
    <message>
        <source>Open &amp;Recent</source>
        <translation>Open &amp;Recent</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>&amp;Edit</translation>
    </message>
    <message>
        <source>&amp;Run</source>
        <translation>&amp;Run</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;View</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Help</translation>
    </message>
    <message>
        <source>Main</source>
        <translation>Main</translation>
    </message>
    <message>
        <source>Import recipe %1</source>
        <translation>Import recipe %1</translation>
    </message>
    <message>
        <source>Import recipe</source>
        <translation>Import recipe</translation>
    </message>
    <message>
        <source>Recipes (*.yaml *.yml)</source>
        <translation>Recipes (*.yaml *.yml)</translation>
    </message>
    <message>
        <source>Export recipe</source>
        <translation>Export recipe</translation>
    </message>
    <message>
        <source>Exported %1</source>
        <translation>Exported %1</translation>
    </message>
    <message>
        <source>Export curves as PNG</source>
        <translation>Export curves as PNG</translation>
    </message>
    <message>
        <source>Export curves as CSV</source>
        <translation>Export curves as CSV</translation>
    </message>
    <message>
        <source>Images (*.png)</source>
        <translation>Images (*.png)</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV files (*.csv)</translation>
    </message>
    <message>
        <source>Cannot write %1</source>
        <translation>Cannot write %1</translation>
    </message>
    <message>
        <source>This run has no checkpoint yet.</source>
        <translation>This run has no checkpoint yet.</translation>
    </message>
    <message>
        <source>Untitled</source>
        <translation>Untitled</translation>
    </message>
    <message>
        <source>%1[*] — Distillery</source>
        <translation>%1[*] — Distillery</translation>
    </message>
    <message>
        <source>Distillery</source>
        <translation>Distillery</translation>
    </message>
    <message>
        <source>A run is in progress</source>
        <translation>A run is in progress</translation>
    </message>
    <message>
        <source>Stop the run and quit? It can be continued later.</source>
        <translation>Stop the run and quit? It can be continued later.</translation>
    </message>
    <message>
        <source>&amp;Continue Stopped Run</source>
        <translation>&amp;Continue Stopped Run</translation>
    </message>
    <message>
        <source>Continue the run selected in the Runs table from where it stopped</source>
        <translation>Continue the run selected in the Runs table from where it stopped</translation>
    </message>
    <message>
        <source>Quantize the run selected in the Runs table: bit widths, calibration, QAT and ONNX export (F8)</source>
        <translation>Quantize the run selected in the Runs table: bit widths, calibration, QAT and ONNX export (F8)</translation>
    </message>
    <message>
        <source>Quantize and Export</source>
        <translation>Quantize and Export</translation>
    </message>
    <message>
        <source>&amp;Quantize and Export</source>
        <translation>&amp;Quantize and Export</translation>
    </message>
    <message>
        <source>The run in progress will be stopped; it can be continued later.</source>
        <translation>The run in progress will be stopped; it can be continued later.</translation>
    </message>
    <message>
        <source>&amp;Documentation</source>
        <translation>&amp;Documentation</translation>
    </message>
    <message>
        <source>Apply Suggested Weights</source>
        <translation>Apply Suggested Weights</translation>
    </message>
    <message numerus="yes">
        <source>Applied %n suggested weight(s) to the recipe; they take effect in the next run.</source>
        <translation>
            <numerusform>Applied %n suggested weight to the recipe; it takes effect in the next run.</numerusform>
            <numerusform>Applied %n suggested weights to the recipe; they take effect in the next run.</numerusform>
        </translation>
    </message>
    <message>
        <source>The recipe no longer has the flagged terms; no weight changed.</source>
        <translation>The recipe no longer has the flagged terms; no weight changed.</translation>
    </message>
    <message>
        <source>Term balance</source>
        <translation>Term balance</translation>
    </message>
    <message>
        <source>The distributions are computed from a run&apos;s checkpoint: select a run that has one, or wait for the running one to write its first.</source>
        <translation>The distributions are computed from a run&apos;s checkpoint: select a run that has one, or wait for the running one to write its first.</translation>
    </message>
    <message>
        <source>Channel distributions</source>
        <translation>Channel distributions</translation>
    </message>
    <message>
        <source>P&amp;rune Model…</source>
        <translation>P&amp;rune Model…</translation>
    </message>
    <message>
        <source>Prune Model</source>
        <translation>Prune Model</translation>
    </message>
    <message>
        <source>Select the trained run to prune in the Runs table first.</source>
        <translation>Select the trained run to prune in the Runs table first.</translation>
    </message>
    <message>
        <source>Pruning %1 …</source>
        <translation>Pruning %1 …</translation>
    </message>
    <message>
        <source>Pruned %1 into %2: parameters %3 → %4 (%5 %), MACs %6 → %7 (%8 %).</source>
        <translation>Pruned %1 into %2: parameters %3 → %4 (%5 %), MACs %6 → %7 (%8 %).</translation>
    </message>
    <message>
        <source>%1: %2 unpruned, %3 as cut, %4 after re-estimating batch-norm statistics.</source>
        <translation>%1: %2 unpruned, %3 as cut, %4 after re-estimating batch-norm statistics.</translation>
    </message>
    <message>
        <source>Make the pruned model the student, taught by %1?</source>
        <translation>Make the pruned model the student, taught by %1?</translation>
    </message>
    <message>
        <source>Distil the pruned model</source>
        <translation>Distil the pruned model</translation>
    </message>
    <message>
        <source>Pruning failed: %1</source>
        <translation>Pruning failed: %1</translation>
    </message>
    <message>
        <source>Suggest &amp;Hint Points</source>
        <translation>Suggest &amp;Hint Points</translation>
    </message>
    <message>
        <source>Cluster the teacher&apos;s layers by similarity (CKA, RSA) and distil at the cluster centres</source>
        <translation>Cluster the teacher&apos;s layers by similarity (CKA, RSA) and distil at the cluster centres</translation>
    </message>
    <message>
        <source>Suggest Hint Points</source>
        <translation>Suggest Hint Points</translation>
    </message>
    <message>
        <source>Hint points are chosen on the teacher: choose a teacher and its checkpoint in the Models dock first.</source>
        <translation>Hint points are chosen on the teacher: choose a teacher and its checkpoint in the Models dock first.</translation>
    </message>
    <message>
        <source>Measuring the teacher&apos;s layers on 256 training samples to choose hint points …</source>
        <translation>Measuring the teacher&apos;s layers on 256 training samples to choose hint points …</translation>
    </message>
    <message>
        <source>Use the suggested hint points</source>
        <translation>Use the suggested hint points</translation>
    </message>
    <message>
        <source>Hint points for %1 (teacher → student), the centres of %2 clusters of the teacher&apos;s %3 layers: %4</source>
        <translation>Hint points for %1 (teacher → student), the centres of %2 clusters of the teacher&apos;s %3 layers: %4</translation>
    </message>
    <message>
        <source>Hint selection failed: %1</source>
        <translation>Hint selection failed: %1</translation>
    </message>
    <message>
        <source>Run P&amp;ipeline…</source>
        <translation>Run P&amp;ipeline…</translation>
    </message>
    <message>
        <source>Run a pipeline</source>
        <translation>Run a pipeline</translation>
    </message>
    <message>
        <source>Pipelines (*.yaml *.yml)</source>
        <translation>Pipelines (*.yaml *.yml)</translation>
    </message>
    <message>
        <source>A pipeline is already running.</source>
        <translation>A pipeline is already running.</translation>
    </message>
    <message>
        <source>Open or create a project first: the stages go into its runs folder.</source>
        <translation>Open or create a project first: the stages go into its runs folder.</translation>
    </message>
    <message>
        <source>Running a pipeline needs distillery-cli beside the workbench; it was not found.</source>
        <translation>Running a pipeline needs distillery-cli beside the workbench; it was not found.</translation>
    </message>
    <message>
        <source>The pipeline finished.</source>
        <translation>The pipeline finished.</translation>
    </message>
    <message>
        <source>The pipeline stopped (exit %1); Run Pipeline on the same file continues it.</source>
        <translation>The pipeline stopped (exit %1); Run Pipeline on the same file continues it.</translation>
    </message>
    <message>
        <source>Running pipeline %1 (%2 stages) into %3</source>
        <translation>Running pipeline %1 (%2 stages) into %3</translation>
    </message>
    <message>
        <source>Generated images</source>
        <translation>Generated images</translation>
    </message>
</context>
<context>
    <name>distillery::ModelsDock</name>
    <message>
        <source>Models</source>
        <translation>Models</translation>
    </message>
    <message>
        <source>Teacher</source>
        <translation>Teacher</translation>
    </message>
    <message>
        <source>Student</source>
        <translation>Student</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>(none)</translation>
    </message>
    <message>
        <source>MobileNetV2 width multiplier: scales every layer&apos;s channels</source>
        <translation>MobileNetV2 width multiplier: scales every layer&apos;s channels</translation>
    </message>
    <message>
        <source>Tap</source>
        <translation>Tap</translation>
    </message>
    <message>
        <source>Shape</source>
        <translation>Shape</translation>
    </message>
    <message>
        <source>&amp;Architecture:</source>
        <translation>&amp;Architecture:</translation>
    </message>
    <message>
        <source>&amp;Head:</source>
        <translation>&amp;Head:</translation>
    </message>
    <message>
        <source>&amp;Width:</source>
        <translation>&amp;Width:</translation>
    </message>
    <message>
        <source>trained teacher: a run folder or a .pt file</source>
        <translation>trained teacher: a run folder or a .pt file</translation>
    </message>
    <message>
        <source>Run &amp;folder…</source>
        <translation>Run &amp;folder…</translation>
    </message>
    <message>
        <source>Load a trained teacher from a run folder (its architecture comes along)</source>
        <translation>Load a trained teacher from a run folder (its architecture comes along)</translation>
    </message>
    <message>
        <source>Check&amp;point…</source>
        <translation>Check&amp;point…</translation>
    </message>
    <message>
        <source>Load a teacher checkpoint file (.pt)</source>
        <translation>Load a teacher checkpoint file (.pt)</translation>
    </message>
    <message>
        <source>Change teacher checkpoint</source>
        <translation>Change teacher checkpoint</translation>
    </message>
    <message>
        <source>&amp;Checkpoint:</source>
        <translation>&amp;Checkpoint:</translation>
    </message>
    <message>
        <source>Change segmentation head</source>
        <translation>Change segmentation head</translation>
    </message>
    <message>
        <source>Change model width</source>
        <translation>Change model width</translation>
    </message>
    <message>
        <source>Change student to %1</source>
        <translation>Change student to %1</translation>
    </message>
    <message>
        <source>Remove teacher</source>
        <translation>Remove teacher</translation>
    </message>
    <message>
        <source>Change teacher to %1</source>
        <translation>Change teacher to %1</translation>
    </message>
    <message>
        <source>%1 does not exist</source>
        <translation>%1 does not exist</translation>
    </message>
    <message>
        <source>%1 is not a run folder (no recipe.yaml)</source>
        <translation>%1 is not a run folder (no recipe.yaml)</translation>
    </message>
    <message>
        <source>Choose the teacher&apos;s architecture first: %1 does not say which it is</source>
        <translation>Choose the teacher&apos;s architecture first: %1 does not say which it is</translation>
    </message>
    <message>
        <source>Load teacher %1</source>
        <translation>Load teacher %1</translation>
    </message>
    <message>
        <source>Teacher run folder</source>
        <translation>Teacher run folder</translation>
    </message>
    <message>
        <source>Teacher checkpoint</source>
        <translation>Teacher checkpoint</translation>
    </message>
    <message>
        <source>Checkpoints (*.pt);;All files (*)</source>
        <translation>Checkpoints (*.pt);;All files (*)</translation>
    </message>
    <message>
        <source>The student has %1% of the teacher&apos;s parameters and needs %2% of its MACs.</source>
        <translation>The student has %1% of the teacher&apos;s parameters and needs %2% of its MACs.</translation>
    </message>
    <message>
        <source>No teacher: the student trains alone.</source>
        <translation>No teacher: the student trains alone.</translation>
    </message>
    <message>
        <source>%1 parameters · %2 MACs for %3×%4×%5 input</source>
        <translation>%1 parameters · %2 MACs for %3×%4×%5 input</translation>
    </message>
    <message>
        <source>Import ONNX…</source>
        <translation>Import ONNX…</translation>
    </message>
    <message>
        <source>Use a model exported to ONNX (torch.onnx.export, tf2onnx) as the teacher</source>
        <translation>Use a model exported to ONNX (torch.onnx.export, tf2onnx) as the teacher</translation>
    </message>
    <message>
        <source>Use a model exported to ONNX as the student: it trains from the file&apos;s weights</source>
        <translation>Use a model exported to ONNX as the student: it trains from the file&apos;s weights</translation>
    </message>
    <message>
        <source>Import teacher %1</source>
        <translation>Import teacher %1</translation>
    </message>
    <message>
        <source>Import student %1</source>
        <translation>Import student %1</translation>
    </message>
    <message>
        <source>Import a teacher from ONNX</source>
        <translation>Import a teacher from ONNX</translation>
    </message>
    <message>
        <source>Import a student from ONNX</source>
        <translation>Import a student from ONNX</translation>
    </message>
    <message>
        <source>ONNX models (*.onnx);;All files (*)</source>
        <translation>ONNX models (*.onnx);;All files (*)</translation>
    </message>
    <message>
        <source>Cannot import %1</source>
        <translation>Cannot import %1</translation>
    </message>
    <message>
        <source>%1 (ONNX)</source>
        <translation>%1 (ONNX)</translation>
    </message>
    <message>
        <source>Imported from %1 · %2 taps</source>
        <translation>Imported from %1 · %2 taps</translation>
    </message>
    <message numerus="yes">
        <source>%n tap(s)</source>
        <translation>
            <numerusform>%n tap</numerusform>
            <numerusform>%n taps</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 (checkpoint)</source>
        <translation>%1 (checkpoint)</translation>
    </message>
</context>
<context>
    <name>distillery::PipelineChainView</name>
    <message>
        <source>Compare stages</source>
        <translation>Compare stages</translation>
    </message>
    <message>
        <source>Select every stage that has run: the loss curves overlay them</source>
        <translation>Select every stage that has run: the loss curves overlay them</translation>
    </message>
    <message>
        <source>Pipeline &lt;b&gt;%1&lt;/b&gt;:</source>
        <translation>Pipeline &lt;b&gt;%1&lt;/b&gt;:</translation>
    </message>
    <message>
        <source>teaches</source>
        <translation>teaches</translation>
    </message>
    <message>
        <source>%1 · %2 %3 %</source>
        <translation>%1 · %2 %3 %</translation>
    </message>
    <message>
        <source>%1 · not started</source>
        <translation>%1 · not started</translation>
    </message>
    <message>
        <source>model</source>
        <translation>model</translation>
    </message>
    <message>
        <source>%1 · %2</source>
        <translation>%1 · %2</translation>
    </message>
    <message>
        <source>%1 has not run yet</source>
        <translation>%1 has not run yet</translation>
    </message>
</context>
<context>
    <name>distillery::PredictionsView</name>
    <message>
        <source>No samples to show.</source>
        <translation>No samples to show.</translation>
    </message>
    <message>
        <source>#%1 %2</source>
        <translation>#%1 %2</translation>
    </message>
    <message>
        <source>S: %1</source>
        <translation>S: %1</translation>
    </message>
    <message>
        <source>T: %1</source>
        <translation>T: %1</translation>
    </message>
    <message>
        <source>image</source>
        <translation>image</translation>
    </message>
    <message>
        <source>ground truth</source>
        <translation>ground truth</translation>
    </message>
    <message>
        <source>teacher</source>
        <translation>teacher</translation>
    </message>
    <message>
        <source>student</source>
        <translation>student</translation>
    </message>
    <message>
        <source>pixel acc %1 %</source>
        <translation>pixel acc %1 %</translation>
    </message>
    <message>
        <source>No run evaluated yet.</source>
        <translation>No run evaluated yet.</translation>
    </message>
    <message>
        <source>predicted (student)</source>
        <translation>predicted (student)</translation>
    </message>
    <message>
        <source>true class</source>
        <translation>true class</translation>
    </message>
    <message>
        <source>Colour: share of the true class (row). Click a cell to list those samples.</source>
        <translation>Colour: share of the true class (row). Click a cell to list those samples.</translation>
    </message>
    <message>
        <source>Misclassified only</source>
        <translation>Misclassified only</translation>
    </message>
    <message>
        <source>Show all</source>
        <translation>Show all</translation>
    </message>
    <message>
        <source>true %1 → predicted %2: %3 (%4 % of %1)</source>
        <translation>true %1 → predicted %2: %3 (%4 % of %1)</translation>
    </message>
    <message>
        <source>Evaluating %1 (%2 checkpoint)…</source>
        <translation>Evaluating %1 (%2 checkpoint)…</translation>
    </message>
    <message>
        <source>&lt;span style=&apos;color:#b00020&apos;&gt;Evaluation failed: %1&lt;/span&gt;</source>
        <translation>&lt;span style=&apos;color:#b00020&apos;&gt;Evaluation failed: %1&lt;/span&gt;</translation>
    </message>
    <message>
        <source>class %1</source>
        <translation>class %1</translation>
    </message>
    <message>
        <source>%1 %2 %</source>
        <translation>%1 %2 %</translation>
    </message>
    <message>
        <source>true %1 → predicted %2: %3 of the %4 samples shown</source>
        <translation>true %1 → predicted %2: %3 of the %4 samples shown</translation>
    </message>
    <message>
        <source>%1 samples, %2 misclassified</source>
        <translation>%1 samples, %2 misclassified</translation>
    </message>
    <message>
        <source>loss %1</source>
        <translation>loss %1</translation>
    </message>
    <message>
        <source>&lt;b&gt;top-1 %1 %&lt;/b&gt;</source>
        <translation>&lt;b&gt;top-1 %1 %&lt;/b&gt;</translation>
    </message>
    <message>
        <source>&lt;b&gt;mIoU %1 %&lt;/b&gt;</source>
        <translation>&lt;b&gt;mIoU %1 %&lt;/b&gt;</translation>
    </message>
    <message>
        <source>pixel accuracy %1 %</source>
        <translation>pixel accuracy %1 %</translation>
    </message>
    <message>
        <source>%1 validation samples</source>
        <translation>%1 validation samples</translation>
    </message>
    <message>
        <source>(absent)</source>
        <translation>(absent)</translation>
    </message>
    <message>
        <source>IoU&amp;nbsp;%1</source>
        <translation>IoU&amp;nbsp;%1</translation>
    </message>
    <message>
        <source>ignore (255)</source>
        <translation>ignore (255)</translation>
    </message>
    <message>
        <source>%1 of %2 boxes at IoU ≥ 0.5</source>
        <translation>%1 of %2 boxes at IoU ≥ 0.5</translation>
    </message>
    <message>
        <source>&lt;b&gt;AP %1&lt;/b&gt;</source>
        <translation>&lt;b&gt;AP %1&lt;/b&gt;</translation>
    </message>
    <message>
        <source>AP50 %1</source>
        <translation>AP50 %1</translation>
    </message>
    <message>
        <source>AP&amp;nbsp;%1</source>
        <translation>AP&amp;nbsp;%1</translation>
    </message>
    <message>
        <source>Dashed: ground truth; solid: detections with score ≥ %1.</source>
        <translation>Dashed: ground truth; solid: detections with score ≥ %1.</translation>
    </message>
    <message>
        <source>AP75 %1</source>
        <translation>AP75 %1</translation>
    </message>
    <message>
        <source>AP small %1</source>
        <translation>AP small %1</translation>
    </message>
    <message>
        <source>AP medium %1</source>
        <translation>AP medium %1</translation>
    </message>
    <message>
        <source>AP large %1</source>
        <translation>AP large %1</translation>
    </message>
    <message>
        <source>AR@100 %1</source>
        <translation>AR@100 %1</translation>
    </message>
</context>
<context>
    <name>distillery::ProjectSession</name>
    <message>
        <source>Stop the current run before opening another project.</source>
        <translation>Stop the current run before opening another project.</translation>
    </message>
    <message>
        <source>Created project %1</source>
        <translation>Created project %1</translation>
    </message>
    <message>
        <source>Opened project %1</source>
        <translation>Opened project %1</translation>
    </message>
    <message>
        <source>Save as a new project folder</source>
        <translation>Save as a new project folder</translation>
    </message>
    <message>
        <source>Saved %1</source>
        <translation>Saved %1</translation>
    </message>
    <message>
        <source>Created project %1 for the runs of this recipe</source>
        <translation>Created project %1 for the runs of this recipe</translation>
    </message>
    <message>
        <source>The recipe has changes that are not saved. Save them?</source>
        <translation>The recipe has changes that are not saved. Save them?</translation>
    </message>
    <message>
        <source>Unsaved changes</source>
        <translation>Unsaved changes</translation>
    </message>
    <message>
        <source>Autosaved</source>
        <translation>Autosaved</translation>
    </message>
    <message>
        <source>Autosave failed: %1</source>
        <translation>Autosave failed: %1</translation>
    </message>
    <message>
        <source>New project folder</source>
        <translation>New project folder</translation>
    </message>
    <message>
        <source>project</source>
        <translation>project</translation>
    </message>
    <message>
        <source>Open project folder</source>
        <translation>Open project folder</translation>
    </message>
</context>
<context>
    <name>distillery::PruneDialog</name>
    <message>
        <source>Prune Model</source>
        <translation>Prune Model</translation>
    </message>
    <message>
        <source>Removes whole channels of &lt;b&gt;%1&lt;/b&gt; until it fits the budget: the model becomes smaller and faster, not masked. Channels that are added together (a residual stream) go together. Train the result afterwards, best by distilling it from the unpruned model.</source>
        <translation>Removes whole channels of &lt;b&gt;%1&lt;/b&gt; until it fits the budget: the model becomes smaller and faster, not masked. Channels that are added together (a residual stream) go together. Train the result afterwards, best by distilling it from the unpruned model.</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>Parameters</translation>
    </message>
    <message>
        <source>MACs</source>
        <translation>MACs</translation>
    </message>
    <message>
        <source> % of the model</source>
        <translation> % of the model</translation>
    </message>
    <message>
        <source>Keep at most</source>
        <translation>Keep at most</translation>
    </message>
    <message>
        <source>Batch-norm scale |γ|</source>
        <translation>Batch-norm scale |γ|</translation>
    </message>
    <message>
        <source>Filter L1 norm</source>
        <translation>Filter L1 norm</translation>
    </message>
    <message>
        <source>How channels are ranked; channels without a batch norm (imported models) use the L1 norm</source>
        <translation>How channels are ranked; channels without a batch norm (imported models) use the L1 norm</translation>
    </message>
    <message>
        <source>Rank channels by</source>
        <translation>Rank channels by</translation>
    </message>
    <message>
        <source>The same share of every layer</source>
        <translation>The same share of every layer</translation>
    </message>
    <message>
        <source>One ranking over all layers</source>
        <translation>One ranking over all layers</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Remove</translation>
    </message>
    <message>
        <source> % of its channels</source>
        <translation> % of its channels</translation>
    </message>
    <message>
        <source>Every layer keeps</source>
        <translation>Every layer keeps</translation>
    </message>
    <message>
        <source>Re-estimate batch-norm statistics on the run&apos;s data, and measure the accuracy before and after</source>
        <translation>Re-estimate batch-norm statistics on the run&apos;s data, and measure the accuracy before and after</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Browse…</translation>
    </message>
    <message>
        <source>Save the pruned model</source>
        <translation>Save the pruned model</translation>
    </message>
    <message>
        <source>Distillery checkpoints (*.pt)</source>
        <translation>Distillery checkpoints (*.pt)</translation>
    </message>
    <message>
        <source>Save as</source>
        <translation>Save as</translation>
    </message>
    <message>
        <source>Prune</source>
        <translation>Prune</translation>
    </message>
</context>
<context>
    <name>distillery::QuantComparisonModel</name>
    <message>
        <source>PTQ</source>
        <translation>PTQ</translation>
    </message>
    <message>
        <source>QAT</source>
        <translation>QAT</translation>
    </message>
    <message>
        <source>QAT + KD</source>
        <translation>QAT + KD</translation>
    </message>
    <message>
        <source>QAT, self-taught</source>
        <translation>QAT, self-taught</translation>
    </message>
    <message>
        <source>%1 (mixed)</source>
        <translation>%1 (mixed)</translation>
    </message>
    <message>
        <source>Teacher</source>
        <translation>Teacher</translation>
    </message>
    <message>
        <source>All parameters at 32 bit, from the teacher&apos;s summary</source>
        <translation>All parameters at 32 bit, from the teacher&apos;s summary</translation>
    </message>
    <message>
        <source>fp32 student</source>
        <translation>fp32 student</translation>
    </message>
    <message>
        <source>, observer %1</source>
        <translation>, observer %1</translation>
    </message>
    <message>
        <source>Simulated in the engine; the fp32 source had %1</source>
        <translation>Simulated in the engine; the fp32 source had %1</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Model</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>Run</translation>
    </message>
    <message>
        <source>Bits</source>
        <translation>Bits</translation>
    </message>
    <message>
        <source>%1 (%)</source>
        <translation>%1 (%)</translation>
    </message>
    <message>
        <source>LibTorch int8 (%)</source>
        <translation>LibTorch int8 (%)</translation>
    </message>
    <message>
        <source>Agreement (%)</source>
        <translation>Agreement (%)</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Size</translation>
    </message>
    <message>
        <source>× smaller</source>
        <translation>× smaller</translation>
    </message>
    <message>
        <source>BOPs</source>
        <translation>BOPs</translation>
    </message>
    <message>
        <source>fp32 (ms)</source>
        <translation>fp32 (ms)</translation>
    </message>
    <message>
        <source>int8 (ms)</source>
        <translation>int8 (ms)</translation>
    </message>
    <message>
        <source>Weight and activation widths (W/A) of the conv and linear layers</source>
        <translation>Weight and activation widths (W/A) of the conv and linear layers</translation>
    </message>
    <message>
        <source>Validation metric; for quantized runs of the fake-quantized model in the engine</source>
        <translation>Validation metric; for quantized runs of the fake-quantized model in the engine</translation>
    </message>
    <message>
        <source>The same quantized model run with LibTorch&apos;s int8 kernels</source>
        <translation>The same quantized model run with LibTorch&apos;s int8 kernels</translation>
    </message>
    <message>
        <source>Share of validation predictions where LibTorch int8 and the simulated model agree</source>
        <translation>Share of validation predictions where LibTorch int8 and the simulated model agree</translation>
    </message>
    <message>
        <source>Conv and linear weights at their widths (1 KB = 1000 bytes)</source>
        <translation>Conv and linear weights at their widths (1 KB = 1000 bytes)</translation>
    </message>
    <message>
        <source>The fp32 student&apos;s size over this one&apos;s</source>
        <translation>The fp32 student&apos;s size over this one&apos;s</translation>
    </message>
    <message>
        <source>Bit operations: Σ MACs × weight bits × activation bits</source>
        <translation>Bit operations: Σ MACs × weight bits × activation bits</translation>
    </message>
    <message>
        <source>Time per batch of 64 in fp32 (BatchNorm folded)</source>
        <translation>Time per batch of 64 in fp32 (BatchNorm folded)</translation>
    </message>
    <message>
        <source>Time per batch of 64 with LibTorch&apos;s int8 kernels</source>
        <translation>Time per batch of 64 with LibTorch&apos;s int8 kernels</translation>
    </message>
    <message>
        <source>Once-%1</source>
        <translation>Once-%1</translation>
    </message>
    <message>
        <source>%1 · %2 bit</source>
        <translation>%1 · %2 bit</translation>
    </message>
    <message>
        <source>%1; one model for %2 bits, this row its %3-bit weights</source>
        <translation>%1; one model for %2 bits, this row its %3-bit weights</translation>
    </message>
</context>
<context>
    <name>distillery::QuantLayersModel</name>
    <message>
        <source>Layer</source>
        <translation>Layer</translation>
    </message>
    <message>
        <source>Op</source>
        <translation>Op</translation>
    </message>
    <message>
        <source>Params</source>
        <translation>Params</translation>
    </message>
    <message>
        <source>MACs</source>
        <translation>MACs</translation>
    </message>
    <message>
        <source>Weight bits</source>
        <translation>Weight bits</translation>
    </message>
    <message>
        <source>Act. bits</source>
        <translation>Act. bits</translation>
    </message>
    <message>
        <source>BOPs</source>
        <translation>BOPs</translation>
    </message>
    <message>
        <source>Sens. 6 b</source>
        <translation>Sens. 6 b</translation>
    </message>
    <message>
        <source>Sens. 4 b</source>
        <translation>Sens. 4 b</translation>
    </message>
    <message>
        <source>Sens. 2 b</source>
        <translation>Sens. 2 b</translation>
    </message>
    <message>
        <source>Weights and bias after BatchNorm folding</source>
        <translation>Weights and bias after BatchNorm folding</translation>
    </message>
    <message>
        <source>Multiply-accumulates for one input</source>
        <translation>Multiply-accumulates for one input</translation>
    </message>
    <message>
        <source>Width of this layer&apos;s weights (per output channel, symmetric); click to change</source>
        <translation>Width of this layer&apos;s weights (per output channel, symmetric); click to change</translation>
    </message>
    <message>
        <source>Width of the layer&apos;s input activations</source>
        <translation>Width of the layer&apos;s input activations</translation>
    </message>
    <message>
        <source>Bit operations of this layer: MACs × weight bits × activation bits (32 × 32 in float)</source>
        <translation>Bit operations of this layer: MACs × weight bits × activation bits (32 × 32 in float)</translation>
    </message>
    <message>
        <source>Increase of the KL divergence between the fp32 and the quantized outputs when only this layer has %1-bit weights (nats per sample)</source>
        <translation>Increase of the KL divergence between the fp32 and the quantized outputs when only this layer has %1-bit weights (nats per sample)</translation>
    </message>
    <message>
        <source>float</source>
        <translation>float</translation>
    </message>
</context>
<context>
    <name>distillery::QuantizePage</name>
    <message>
        <source>float</source>
        <translation>float</translation>
    </message>
    <message>
        <source>%1 %2 vs %3: max |Δ| %4, agreement %5 %</source>
        <translation>%1 %2 vs %3: max |Δ| %4, agreement %5 %</translation>
    </message>
    <message numerus="yes">
        <source>Verified on %n sample(s): </source>
        <translation>
            <numerusform>Verified on %n sample: </numerusform>
            <numerusform>Verified on %n samples: </numerusform>
        </translation>
    </message>
    <message>
        <source>Every target met.</source>
        <translation>Every target met.</translation>
    </message>
    <message>
        <source>Targets missed: %1.</source>
        <translation>Targets missed: %1.</translation>
    </message>
    <message>
        <source>&amp;Source (fp32 run):</source>
        <translation>&amp;Source (fp32 run):</translation>
    </message>
    <message>
        <source>A trained student (or teacher) run of the project, in float</source>
        <translation>A trained student (or teacher) run of the project, in float</translation>
    </message>
    <message>
        <source>Run &amp;folder…</source>
        <translation>Run &amp;folder…</translation>
    </message>
    <message>
        <source>Quantize a trained run from another folder</source>
        <translation>Quantize a trained run from another folder</translation>
    </message>
    <message>
        <source>Trained run folder</source>
        <translation>Trained run folder</translation>
    </message>
    <message>
        <source>Choose a trained fp32 run as the source.</source>
        <translation>Choose a trained fp32 run as the source.</translation>
    </message>
    <message>
        <source>Bit widths</source>
        <translation>Bit widths</translation>
    </message>
    <message>
        <source>%1 bit</source>
        <translation>%1 bit</translation>
    </message>
    <message>
        <source>All &amp;weights:</source>
        <translation>All &amp;weights:</translation>
    </message>
    <message>
        <source>Activations: 8 bit per tensor; weights per output channel</source>
        <translation>Activations: 8 bit per tensor; weights per output channel</translation>
    </message>
    <message>
        <source>Mixed-precision budget</source>
        <translation>Mixed-precision budget</translation>
    </message>
    <message>
        <source>Model size</source>
        <translation>Model size</translation>
    </message>
    <message>
        <source>Bit operations (BOPs)</source>
        <translation>Bit operations (BOPs)</translation>
    </message>
    <message>
        <source>From every weight at 2 bit (left) to every weight at 8 bit (right)</source>
        <translation>From every weight at 2 bit (left) to every weight at 8 bit (right)</translation>
    </message>
    <message>
        <source>size=40KB or bops=800M</source>
        <translation>size=40KB or bops=800M</translation>
    </message>
    <message>
        <source>The budget as the recipe&apos;s quantize.budget writes it; Enter applies it</source>
        <translation>The budget as the recipe&apos;s quantize.budget writes it; Enter applies it</translation>
    </message>
    <message>
        <source>&amp;Measure sensitivity</source>
        <translation>&amp;Measure sensitivity</translation>
    </message>
    <message>
        <source>For each layer alone at 6, 4 and 2 bit: how far the outputs move (calibration batches of the train split)</source>
        <translation>For each layer alone at 6, 4 and 2 bit: how far the outputs move (calibration batches of the train split)</translation>
    </message>
    <message>
        <source>Fit to &amp;budget</source>
        <translation>Fit to &amp;budget</translation>
    </message>
    <message>
        <source>Choose the widths that fit the budget and lose least, from the measured sensitivity</source>
        <translation>Choose the widths that fit the budget and lose least, from the measured sensitivity</translation>
    </message>
    <message>
        <source>&amp;Kind:</source>
        <translation>&amp;Kind:</translation>
    </message>
    <message>
        <source>B&amp;udget:</source>
        <translation>B&amp;udget:</translation>
    </message>
    <message>
        <source>&amp;As text:</source>
        <translation>&amp;As text:</translation>
    </message>
    <message>
        <source>Post-training quantization</source>
        <translation>Post-training quantization</translation>
    </message>
    <message>
        <source>How activation ranges are taken from the calibration batches: min–max, a percentile of the values, or the range with the least squared error</source>
        <translation>How activation ranges are taken from the calibration batches: min–max, a percentile of the values, or the range with the least squared error</translation>
    </message>
    <message>
        <source>Train batches used to calibrate activation ranges and measure sensitivity</source>
        <translation>Train batches used to calibrate activation ranges and measure sensitivity</translation>
    </message>
    <message>
        <source>all</source>
        <translation>all</translation>
    </message>
    <message>
        <source>Evaluate on the first N validation samples (all: the whole split)</source>
        <translation>Evaluate on the first N validation samples (all: the whole split)</translation>
    </message>
    <message>
        <source>Also run LibTorch&apos;s int8 kernels (accuracy, agreement, latency)</source>
        <translation>Also run LibTorch&apos;s int8 kernels (accuracy, agreement, latency)</translation>
    </message>
    <message>
        <source>&amp;Calibrate (PTQ)</source>
        <translation>&amp;Calibrate (PTQ)</translation>
    </message>
    <message>
        <source>Quantize the source with the table&apos;s widths into a new run folder</source>
        <translation>Quantize the source with the table&apos;s widths into a new run folder</translation>
    </message>
    <message>
        <source>&amp;Observer:</source>
        <translation>&amp;Observer:</translation>
    </message>
    <message>
        <source>&amp;Percentile:</source>
        <translation>&amp;Percentile:</translation>
    </message>
    <message>
        <source>Calibration &amp;batches:</source>
        <translation>Calibration &amp;batches:</translation>
    </message>
    <message>
        <source>&amp;Validation samples:</source>
        <translation>&amp;Validation samples:</translation>
    </message>
    <message>
        <source>Quantization-aware training</source>
        <translation>Quantization-aware training</translation>
    </message>
    <message>
        <source>the recipe&apos;s teacher</source>
        <translation>the recipe&apos;s teacher</translation>
    </message>
    <message>
        <source>itself in fp32 (self-distillation)</source>
        <translation>itself in fp32 (self-distillation)</translation>
    </message>
    <message>
        <source>none (labels only)</source>
        <translation>none (labels only)</translation>
    </message>
    <message>
        <source>Learn the step sizes (LSQ)</source>
        <translation>Learn the step sizes (LSQ)</translation>
    </message>
    <message>
        <source>Start &amp;QAT</source>
        <translation>Start &amp;QAT</translation>
    </message>
    <message>
        <source>Fine-tune the quantized student as a run: curves in Loss curves, Pause and Stop in the Run menu</source>
        <translation>Fine-tune the quantized student as a run: curves in Loss curves, Pause and Stop in the Run menu</translation>
    </message>
    <message>
        <source>&amp;Teacher:</source>
        <translation>&amp;Teacher:</translation>
    </message>
    <message>
        <source>&amp;Epochs:</source>
        <translation>&amp;Epochs:</translation>
    </message>
    <message>
        <source>&amp;Learning rate:</source>
        <translation>&amp;Learning rate:</translation>
    </message>
    <message>
        <source>Comparison</source>
        <translation>Comparison</translation>
    </message>
    <message>
        <source>Export ONNX (&amp;fp32)…</source>
        <translation>Export ONNX (&amp;fp32)…</translation>
    </message>
    <message>
        <source>The selected row&apos;s model in float, BatchNorm folded (opset 13)</source>
        <translation>The selected row&apos;s model in float, BatchNorm folded (opset 13)</translation>
    </message>
    <message>
        <source>Export ONNX &amp;int8…</source>
        <translation>Export ONNX &amp;int8…</translation>
    </message>
    <message>
        <source>The selected quantized run as QDQ int8 (opset 13)</source>
        <translation>The selected quantized run as QDQ int8 (opset 13)</translation>
    </message>
    <message>
        <source>&amp;Verify in onnxruntime / OpenCV</source>
        <translation>&amp;Verify in onnxruntime / OpenCV</translation>
    </message>
    <message>
        <source>Run the exported file in onnxruntime and OpenCV&apos;s DNN module on validation samples and compare with the engine</source>
        <translation>Run the exported file in onnxruntime and OpenCV&apos;s DNN module on validation samples and compare with the engine</translation>
    </message>
    <message>
        <source>choose a trained run</source>
        <translation>choose a trained run</translation>
    </message>
    <message>
        <source>no trained run in this project</source>
        <translation>no trained run in this project</translation>
    </message>
    <message>
        <source>%1 is not a run folder</source>
        <translation>%1 is not a run folder</translation>
    </message>
    <message>
        <source>%1 is not a run folder (no recipe.yaml)</source>
        <translation>%1 is not a run folder (no recipe.yaml)</translation>
    </message>
    <message>
        <source>%1 is already quantized: choose the fp32 student run it came from</source>
        <translation>%1 is already quantized: choose the fp32 student run it came from</translation>
    </message>
    <message>
        <source>%1 is already quantized: choose the fp32 student run it came from (%2)</source>
        <translation>%1 is already quantized: choose the fp32 student run it came from (%2)</translation>
    </message>
    <message>
        <source>%1 has no checkpoint yet: train it first</source>
        <translation>%1 has no checkpoint yet: train it first</translation>
    </message>
    <message>
        <source>Reading the layers of %1…</source>
        <translation>Reading the layers of %1…</translation>
    </message>
    <message>
        <source>%1 bit is not a weight width (8, 6, 4, 2 or 0 for float)</source>
        <translation>%1 bit is not a weight width (8, 6, 4, 2 or 0 for float)</translation>
    </message>
    <message>
        <source>Unknown layer %1: no source run is loaded</source>
        <translation>Unknown layer %1: no source run is loaded</translation>
    </message>
    <message>
        <source>Unknown layer %1 (layers: %2)</source>
        <translation>Unknown layer %1 (layers: %2)</translation>
    </message>
    <message>
        <source>No layers: choose a trained run.</source>
        <translation>No layers: choose a trained run.</translation>
    </message>
    <message>
        <source>Size %1 of %2 in fp32 (%3× smaller) · BOPs %4 of %5 in fp32 (%6× fewer)</source>
        <translation>Size %1 of %2 in fp32 (%3× smaller) · BOPs %4 of %5 in fp32 (%6× fewer)</translation>
    </message>
    <message>
        <source>Bad budget: %1</source>
        <translation>Bad budget: %1</translation>
    </message>
    <message>
        <source>Load a source run to set a budget.</source>
        <translation>Load a source run to set a budget.</translation>
    </message>
    <message>
        <source>the table fits (%1)</source>
        <translation>the table fits (%1)</translation>
    </message>
    <message>
        <source>&lt;span style=&quot;color:#b3261e&quot;&gt;the table needs %1&lt;/span&gt;</source>
        <translation>&lt;span style=&quot;color:#b3261e&quot;&gt;the table needs %1&lt;/span&gt;</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt; — %2&lt;br&gt;&lt;small&gt;all 2-bit %3 · all 8-bit %4&lt;/small&gt;</source>
        <translation>&lt;b&gt;%1&lt;/b&gt; — %2&lt;br&gt;&lt;small&gt;all 2-bit %3 · all 8-bit %4&lt;/small&gt;</translation>
    </message>
    <message>
        <source>Choose a trained source run first.</source>
        <translation>Choose a trained source run first.</translation>
    </message>
    <message>
        <source>Measure sensitivity first: fitting lowers the widths of the layers that lose least.</source>
        <translation>Measure sensitivity first: fitting lowers the widths of the layers that lose least.</translation>
    </message>
    <message>
        <source>Cannot fit the budget: %1</source>
        <translation>Cannot fit the budget: %1</translation>
    </message>
    <message>
        <source>Fitted to %1: the table now needs %2 (%3)</source>
        <translation>Fitted to %1: the table now needs %2 (%3)</translation>
    </message>
    <message>
        <source>Busy: wait until the current step finishes.</source>
        <translation>Busy: wait until the current step finishes.</translation>
    </message>
    <message>
        <source>Cannot read the layers of %1: %2</source>
        <translation>Cannot read the layers of %1: %2</translation>
    </message>
    <message numerus="yes">
        <source>%n layer(s)</source>
        <translation>
            <numerusform>%n layer</numerusform>
            <numerusform>%n layers</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1: %n quantizable layer(s). Edit the widths, or measure sensitivity and fit a budget.</source>
        <translation>
            <numerusform>%1: %n quantizable layer. Edit the widths, or measure sensitivity and fit a budget.</numerusform>
            <numerusform>%1: %n quantizable layers. Edit the widths, or measure sensitivity and fit a budget.</numerusform>
        </translation>
    </message>
    <message>
        <source>Measuring sensitivity failed: %1</source>
        <translation>Measuring sensitivity failed: %1</translation>
    </message>
    <message numerus="yes">
        <source>Sensitivity measured for %n layer(s); Fit to budget can use it now.</source>
        <translation>
            <numerusform>Sensitivity measured for %n layer; Fit to budget can use it now.</numerusform>
            <numerusform>Sensitivity measured for %n layers; Fit to budget can use it now.</numerusform>
        </translation>
    </message>
    <message>
        <source>Calibration failed: %1</source>
        <translation>Calibration failed: %1</translation>
    </message>
    <message>
        <source>%1: %2 %3 % simulated (fp32 %4 %)</source>
        <translation>%1: %2 %3 % simulated (fp32 %4 %)</translation>
    </message>
    <message>
        <source>, LibTorch int8 %1 %</source>
        <translation>, LibTorch int8 %1 %</translation>
    </message>
    <message>
        <source>; %1, %2× smaller</source>
        <translation>; %1, %2× smaller</translation>
    </message>
    <message>
        <source>Export failed: %1</source>
        <translation>Export failed: %1</translation>
    </message>
    <message>
        <source>Wrote %1 and its card %2</source>
        <translation>Wrote %1 and its card %2</translation>
    </message>
    <message>
        <source>Wrote %1 and its card %2. %3</source>
        <translation>Wrote %1 and its card %2. %3</translation>
    </message>
    <message>
        <source>Cannot start QAT: %1</source>
        <translation>Cannot start QAT: %1</translation>
    </message>
    <message>
        <source>QAT needs the workbench window to run it.</source>
        <translation>QAT needs the workbench window to run it.</translation>
    </message>
    <message>
        <source>QAT of %1 started (%2): follow it in Loss curves; its row appears here when it finishes.</source>
        <translation>QAT of %1 started (%2): follow it in Loss curves; its row appears here when it finishes.</translation>
    </message>
    <message numerus="yes">
        <source>Measuring sensitivity on %n calibration batch(es)…</source>
        <translation>
            <numerusform>Measuring sensitivity on %n calibration batch…</numerusform>
            <numerusform>Measuring sensitivity on %n calibration batches…</numerusform>
        </translation>
    </message>
    <message>
        <source>Open or create a project first: the quantized run is written to its runs folder.</source>
        <translation>Open or create a project first: the quantized run is written to its runs folder.</translation>
    </message>
    <message numerus="yes">
        <source>Calibrating %1 (%2, %n batch(es))…</source>
        <translation>
            <numerusform>Calibrating %1 (%2, %n batch)…</numerusform>
            <numerusform>Calibrating %1 (%2, %n batches)…</numerusform>
        </translation>
    </message>
    <message>
        <source>A run is already in progress; QAT can start when it ends.</source>
        <translation>A run is already in progress; QAT can start when it ends.</translation>
    </message>
    <message>
        <source>%1 was trained without a teacher: choose itself (self-distillation) or none as the QAT teacher.</source>
        <translation>%1 was trained without a teacher: choose itself (self-distillation) or none as the QAT teacher.</translation>
    </message>
    <message>
        <source>Preparing QAT of %1…</source>
        <translation>Preparing QAT of %1…</translation>
    </message>
    <message>
        <source>Select a row of the comparison to export.</source>
        <translation>Select a row of the comparison to export.</translation>
    </message>
    <message>
        <source>This row has no run folder to export.</source>
        <translation>This row has no run folder to export.</translation>
    </message>
    <message>
        <source>%1 is not quantized: calibrate it (PTQ) or train it with QAT, then export that run as int8.</source>
        <translation>%1 is not quantized: calibrate it (PTQ) or train it with QAT, then export that run as int8.</translation>
    </message>
    <message>
        <source>Export ONNX int8</source>
        <translation>Export ONNX int8</translation>
    </message>
    <message>
        <source>Export ONNX (fp32)</source>
        <translation>Export ONNX (fp32)</translation>
    </message>
    <message>
        <source>ONNX models (*.onnx)</source>
        <translation>ONNX models (*.onnx)</translation>
    </message>
    <message>
        <source>Unknown export format %1 (onnx or onnx-int8)</source>
        <translation>Unknown export format %1 (onnx or onnx-int8)</translation>
    </message>
    <message>
        <source>Choose a file to export to.</source>
        <translation>Choose a file to export to.</translation>
    </message>
    <message>
        <source>Exporting %1…</source>
        <translation>Exporting %1…</translation>
    </message>
    <message>
        <source>1 % of the run&apos;s</source>
        <translation>1 % of the run&apos;s</translation>
    </message>
    <message>
        <source>0 takes 1 % of the source run&apos;s learning rate: a BatchNorm-folded network diverges at its training rate</source>
        <translation>0 takes 1 % of the source run&apos;s learning rate: a BatchNorm-folded network diverges at its training rate</translation>
    </message>
    <message>
        <source>1 % of the run&apos;s (%1)</source>
        <translation>1 % of the run&apos;s (%1)</translation>
    </message>
    <message>
        <source>QAT %1 stopped; Run &gt; Continue Stopped Run continues it.</source>
        <translation>QAT %1 stopped; Run &gt; Continue Stopped Run continues it.</translation>
    </message>
    <message>
        <source>QAT %1 did not finish (%2); the log says why.</source>
        <translation>QAT %1 did not finish (%2); the log says why.</translation>
    </message>
    <message>
        <source>QAT %1 finished: %2 %3 % simulated, LibTorch int8 %4 % (fp32 %5 %)</source>
        <translation>QAT %1 finished: %2 %3 % simulated, LibTorch int8 %4 % (fp32 %5 %)</translation>
    </message>
    <message>
        <source>one model at the table&apos;s widths</source>
        <translation>one model at the table&apos;s widths</translation>
    </message>
    <message>
        <source>one model for 8, 6, 4 and 2 bits (once-QAT)</source>
        <translation>one model for 8, 6, 4 and 2 bits (once-QAT)</translation>
    </message>
    <message>
        <source>one model for 8, 4 and 2 bits (once-QAT)</source>
        <translation>one model for 8, 4 and 2 bits (once-QAT)</translation>
    </message>
    <message>
        <source>Once-QAT trains a single set of weights whose lower widths are the top width&apos;s codes taken down by rounding right shifts; every width is evaluated and can be exported from it</source>
        <translation>Once-QAT trains a single set of weights whose lower widths are the top width&apos;s codes taken down by rounding right shifts; every width is evaluated and can be exported from it</translation>
    </message>
    <message>
        <source>&amp;Widths:</source>
        <translation>&amp;Widths:</translation>
    </message>
    <message>
        <source>one model for %1 bits (once-QAT)</source>
        <translation>one model for %1 bits (once-QAT)</translation>
    </message>
</context>
<context>
    <name>distillery::RecipeDock</name>
    <message>
        <source>Recipe</source>
        <translation>Recipe</translation>
    </message>
    <message>
        <source>&amp;Loss terms</source>
        <translation>&amp;Loss terms</translation>
    </message>
    <message>
        <source>&amp;Training</source>
        <translation>&amp;Training</translation>
    </message>
    <message>
        <source>&amp;YAML</source>
        <translation>&amp;YAML</translation>
    </message>
    <message>
        <source>&amp;Presets</source>
        <translation>&amp;Presets</translation>
    </message>
    <message>
        <source>Replace the loss terms with a method&apos;s usual setting</source>
        <translation>Replace the loss terms with a method&apos;s usual setting</translation>
    </message>
    <message>
        <source>&amp;Add term</source>
        <translation>&amp;Add term</translation>
    </message>
    <message>
        <source>&amp;Remove term</source>
        <translation>&amp;Remove term</translation>
    </message>
    <message>
        <source>SGD with momentum</source>
        <translation>SGD with momentum</translation>
    </message>
    <message>
        <source>AdamW</source>
        <translation>AdamW</translation>
    </message>
    <message>
        <source>Cosine</source>
        <translation>Cosine</translation>
    </message>
    <message>
        <source>Step</source>
        <translation>Step</translation>
    </message>
    <message>
        <source>Constant</source>
        <translation>Constant</translation>
    </message>
    <message>
        <source>all cores</source>
        <translation>all cores</translation>
    </message>
    <message>
        <source>all samples</source>
        <translation>all samples</translation>
    </message>
    <message>
        <source>Use only the first N samples of each split, for quick trials</source>
        <translation>Use only the first N samples of each split, for quick trials</translation>
    </message>
    <message>
        <source>no limit</source>
        <translation>no limit</translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation>&amp;Name:</translation>
    </message>
    <message>
        <source>&amp;Epochs:</source>
        <translation>&amp;Epochs:</translation>
    </message>
    <message>
        <source>&amp;Batch size:</source>
        <translation>&amp;Batch size:</translation>
    </message>
    <message>
        <source>&amp;Learning rate:</source>
        <translation>&amp;Learning rate:</translation>
    </message>
    <message>
        <source>&amp;Optimiser:</source>
        <translation>&amp;Optimiser:</translation>
    </message>
    <message>
        <source>&amp;Schedule:</source>
        <translation>&amp;Schedule:</translation>
    </message>
    <message>
        <source>S&amp;eed:</source>
        <translation>S&amp;eed:</translation>
    </message>
    <message>
        <source>&amp;Threads:</source>
        <translation>&amp;Threads:</translation>
    </message>
    <message>
        <source>Sub&amp;set:</source>
        <translation>Sub&amp;set:</translation>
    </message>
    <message>
        <source>&amp;Max steps:</source>
        <translation>&amp;Max steps:</translation>
    </message>
    <message>
        <source>Rename recipe</source>
        <translation>Rename recipe</translation>
    </message>
    <message>
        <source>Change epochs</source>
        <translation>Change epochs</translation>
    </message>
    <message>
        <source>Change batch size</source>
        <translation>Change batch size</translation>
    </message>
    <message>
        <source>Change seed</source>
        <translation>Change seed</translation>
    </message>
    <message>
        <source>Change threads</source>
        <translation>Change threads</translation>
    </message>
    <message>
        <source>Change subset</source>
        <translation>Change subset</translation>
    </message>
    <message>
        <source>Change max steps</source>
        <translation>Change max steps</translation>
    </message>
    <message>
        <source>Change learning rate</source>
        <translation>Change learning rate</translation>
    </message>
    <message>
        <source>Change optimiser</source>
        <translation>Change optimiser</translation>
    </message>
    <message>
        <source>Change schedule</source>
        <translation>Change schedule</translation>
    </message>
    <message>
        <source>&amp;Apply</source>
        <translation>&amp;Apply</translation>
    </message>
    <message>
        <source>Use this YAML as the recipe (Ctrl+Return)</source>
        <translation>Use this YAML as the recipe (Ctrl+Return)</translation>
    </message>
    <message>
        <source>Re&amp;vert</source>
        <translation>Re&amp;vert</translation>
    </message>
    <message>
        <source>Edited: Apply to use it.</source>
        <translation>Edited: Apply to use it.</translation>
    </message>
    <message>
        <source>%1: choose a teacher first</source>
        <translation>%1: choose a teacher first</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message>
        <source>Apply preset %1</source>
        <translation>Apply preset %1</translation>
    </message>
    <message>
        <source>choose a teacher first</source>
        <translation>choose a teacher first</translation>
    </message>
    <message>
        <source>Edit recipe as YAML</source>
        <translation>Edit recipe as YAML</translation>
    </message>
    <message>
        <source>Edited: Apply to use it, or Revert to see the current recipe.</source>
        <translation>Edited: Apply to use it, or Revert to see the current recipe.</translation>
    </message>
    <message>
        <source>The same YAML the command-line tool reads.</source>
        <translation>The same YAML the command-line tool reads.</translation>
    </message>
    <message>
        <source>Double-click a cell to change it; only taps the method can compare are offered. A preset replaces all terms with a method&apos;s usual setting.</source>
        <translation>Double-click a cell to change it; only taps the method can compare are offered. A preset replaces all terms with a method&apos;s usual setting.</translation>
    </message>
    <message>
        <source>This CPU has no native bf16: bf16 runs train in fp32 here.</source>
        <translation>This CPU has no native bf16: bf16 runs train in fp32 here.</translation>
    </message>
    <message>
        <source>fp32</source>
        <translation>fp32</translation>
    </message>
    <message>
        <source>bf16 mixed precision</source>
        <translation>bf16 mixed precision</translation>
    </message>
    <message>
        <source>The student&apos;s arithmetic: bf16 runs convolutions and matrix products in bfloat16 on fp32 master weights; losses and evaluation stay fp32.</source>
        <translation>The student&apos;s arithmetic: bf16 runs convolutions and matrix products in bfloat16 on fp32 master weights; losses and evaluation stay fp32.</translation>
    </message>
    <message>
        <source>bf16</source>
        <translation>bf16</translation>
    </message>
    <message>
        <source>int8</source>
        <translation>int8</translation>
    </message>
    <message>
        <source>int8 quantizes it after training (calibrated on 8 train batches) and runs it on LibTorch&apos;s int8 kernels; the run&apos;s log gives its agreement with fp32.</source>
        <translation>int8 quantizes it after training (calibrated on 8 train batches) and runs it on LibTorch&apos;s int8 kernels; the run&apos;s log gives its agreement with fp32.</translation>
    </message>
    <message>
        <source>The frozen teacher&apos;s arithmetic: bf16 runs its convolutions in bfloat16; it only needs to teach.</source>
        <translation>The frozen teacher&apos;s arithmetic: bf16 runs its convolutions in bfloat16; it only needs to teach.</translation>
    </message>
    <message>
        <source>&amp;Precision:</source>
        <translation>&amp;Precision:</translation>
    </message>
    <message>
        <source>Teacher p&amp;recision:</source>
        <translation>Teacher p&amp;recision:</translation>
    </message>
    <message>
        <source>Change precision</source>
        <translation>Change precision</translation>
    </message>
    <message>
        <source>Change teacher precision</source>
        <translation>Change teacher precision</translation>
    </message>
    <message>
        <source>Data-parallel training: local processes that each take an equal part of every batch, their gradients averaged after each step. The threads are divided between them. The recipe trains the same on any number of processes.</source>
        <translation>Data-parallel training: local processes that each take an equal part of every batch, their gradients averaged after each step. The threads are divided between them. The recipe trains the same on any number of processes.</translation>
    </message>
    <message>
        <source>Pro&amp;cesses:</source>
        <translation>Pro&amp;cesses:</translation>
    </message>
    <message>
        <source>Real (the data set&apos;s train split)</source>
        <translation>Real (the data set&apos;s train split)</translation>
    </message>
    <message>
        <source>Generated (data-free)</source>
        <translation>Generated (data-free)</translation>
    </message>
    <message>
        <source>Data-free distillation: the student never sees a training image. A generator learns, against the teacher, images whose statistics match what the teacher&apos;s batch norms saw in training, of each class, and where the student still disagrees with the teacher; the student learns the loss terms on them. Real images are used only for validation. Needs a teacher with batch norms; the Generated images view shows what the student learned from.</source>
        <translation>Data-free distillation: the student never sees a training image. A generator learns, against the teacher, images whose statistics match what the teacher&apos;s batch norms saw in training, of each class, and where the student still disagrees with the teacher; the student learns the loss terms on them. Real images are used only for validation. Needs a teacher with batch norms; the Generated images view shows what the student learned from.</translation>
    </message>
    <message>
        <source>Training &amp;images:</source>
        <translation>Training &amp;images:</translation>
    </message>
    <message>
        <source>Train on generated images</source>
        <translation>Train on generated images</translation>
    </message>
    <message>
        <source>Train on real images</source>
        <translation>Train on real images</translation>
    </message>
    <message>
        <source>This CPU computes bf16 natively (%1). Automatic also measures its bf16 convolutions when a run starts, and stays in fp32 where they are not faster.</source>
        <translation>This CPU computes bf16 natively (%1). Automatic also measures its bf16 convolutions when a run starts, and stays in fp32 where they are not faster.</translation>
    </message>
    <message>
        <source>Automatic (bf16 where native and faster)</source>
        <translation>Automatic (bf16 where native and faster)</translation>
    </message>
</context>
<context>
    <name>distillery::RunController</name>
    <message>
        <source>Ready</source>
        <translation>Ready</translation>
    </message>
    <message>
        <source>A run is already in progress.</source>
        <translation>A run is already in progress.</translation>
    </message>
    <message>
        <source>Paused; the inspector still answers</source>
        <translation>Paused; the inspector still answers</translation>
    </message>
    <message>
        <source>Resumed</source>
        <translation>Resumed</translation>
    </message>
    <message>
        <source>Stopping at the end of this step…</source>
        <translation>Stopping at the end of this step…</translation>
    </message>
    <message>
        <source>The recipe has an error, so nothing was started:
%1</source>
        <translation>The recipe has an error, so nothing was started:
%1</translation>
    </message>
    <message>
        <source>Choose a teacher architecture or import one in the Models dock first.</source>
        <translation>Choose a teacher architecture or import one in the Models dock first.</translation>
    </message>
    <message>
        <source>%1 cannot be continued: it finished, or it has no checkpoint yet.</source>
        <translation>%1 cannot be continued: it finished, or it has no checkpoint yet.</translation>
    </message>
    <message>
        <source>The demo recipe resources/recipes/fmnist_cwd.yaml was not found next to the program.</source>
        <translation>The demo recipe resources/recipes/fmnist_cwd.yaml was not found next to the program.</translation>
    </message>
    <message>
        <source>The shipped teacher %1 is missing; training it first.</source>
        <translation>The shipped teacher %1 is missing; training it first.</translation>
    </message>
    <message>
        <source>Cannot start the run:
%1</source>
        <translation>Cannot start the run:
%1</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>Starting…</translation>
    </message>
    <message>
        <source>Training teacher %1 in %2</source>
        <translation>Training teacher %1 in %2</translation>
    </message>
    <message>
        <source>Quantization-aware training of %1 in %2</source>
        <translation>Quantization-aware training of %1 in %2</translation>
    </message>
    <message>
        <source>Training student %1 in %2</source>
        <translation>Training student %1 in %2</translation>
    </message>
    <message>
        <source>Epoch %1/%2 · step %3/%4 · loss %5</source>
        <translation>Epoch %1/%2 · step %3/%4 · loss %5</translation>
    </message>
    <message>
        <source>%1 img/s</source>
        <translation>%1 img/s</translation>
    </message>
    <message>
        <source>ETA %1</source>
        <translation>ETA %1</translation>
    </message>
    <message>
        <source>Epoch %1 (%2): %3%4</source>
        <translation>Epoch %1 (%2): %3%4</translation>
    </message>
    <message>
        <source> — best so far</source>
        <translation> — best so far</translation>
    </message>
    <message>
        <source>Finished in %1. Best: %2</source>
        <translation>Finished in %1. Best: %2</translation>
    </message>
    <message>
        <source>Finished %1: best %2</source>
        <translation>Finished %1: best %2</translation>
    </message>
    <message>
        <source>Stopped; the run can be continued later</source>
        <translation>Stopped; the run can be continued later</translation>
    </message>
    <message>
        <source>Stopped %1</source>
        <translation>Stopped %1</translation>
    </message>
    <message>
        <source>The run failed: %1</source>
        <translation>The run failed: %1</translation>
    </message>
    <message>
        <source>Use the trained teacher</source>
        <translation>Use the trained teacher</translation>
    </message>
    <message>
        <source>The recipe&apos;s teacher is now %1</source>
        <translation>The recipe&apos;s teacher is now %1</translation>
    </message>
    <message>
        <source>Initialisation stage · step %1/%2 · loss %3</source>
        <translation>Initialisation stage · step %1/%2 · loss %3</translation>
    </message>
    <message>
        <source>Training on %1 processes needs distillery-cli beside the workbench; it was not found (set DISTILLERY_CLI, or set Processes to 1).</source>
        <translation>Training on %1 processes needs distillery-cli beside the workbench; it was not found (set DISTILLERY_CLI, or set Processes to 1).</translation>
    </message>
    <message>
        <source>Data-parallel training: %1 processes of %2 threads, each taking 1/%1 of every batch</source>
        <translation>Data-parallel training: %1 processes of %2 threads, each taking 1/%1 of every batch</translation>
    </message>
    <message>
        <source>Loading the data and the models…</source>
        <translation>Loading the data and the models…</translation>
    </message>
</context>
<context>
    <name>distillery::RunsTableView</name>
    <message>
        <source>finished</source>
        <translation>finished</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>cancelled</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>failed</translation>
    </message>
    <message>
        <source>running</source>
        <translation>running</translation>
    </message>
    <message>
        <source>incomplete</source>
        <translation>incomplete</translation>
    </message>
    <message>
        <source>unreadable</source>
        <translation>unreadable</translation>
    </message>
    <message>
        <source>%1: weight %2</source>
        <translation>%1: weight %2</translation>
    </message>
    <message>
        <source>, τ %1</source>
        <translation>, τ %1</translation>
    </message>
    <message>
        <source>%1 %2 %</source>
        <translation>%1 %2 %</translation>
    </message>
    <message>
        <source>metrics.jsonl is being written; no summary yet</source>
        <translation>metrics.jsonl is being written; no summary yet</translation>
    </message>
    <message>
        <source>no summary.json: the run was stopped or killed (resume continues it)</source>
        <translation>no summary.json: the run was stopped or killed (resume continues it)</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Job</source>
        <translation>Job</translation>
    </message>
    <message>
        <source>Student</source>
        <translation>Student</translation>
    </message>
    <message>
        <source>Teacher</source>
        <translation>Teacher</translation>
    </message>
    <message>
        <source>Loss terms</source>
        <translation>Loss terms</translation>
    </message>
    <message>
        <source>Best metric</source>
        <translation>Best metric</translation>
    </message>
    <message>
        <source>Params</source>
        <translation>Params</translation>
    </message>
    <message>
        <source>MACs</source>
        <translation>MACs</translation>
    </message>
    <message>
        <source>Wall time</source>
        <translation>Wall time</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>No project folder.</source>
        <translation>No project folder.</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Refresh</translation>
    </message>
    <message numerus="yes">
        <source>%n run(s) in %1</source>
        <translation>
            <numerusform>%n run in %1</numerusform>
            <numerusform>%n runs in %1</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 (teacher)</source>
        <translation>%1 (teacher)</translation>
    </message>
</context>
<context>
    <name>distillery::SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>Settings</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>System language</translation>
    </message>
    <message>
        <source> s</source>
        <translation> s</translation>
    </message>
    <message>
        <source>Off</source>
        <translation>Off</translation>
    </message>
    <message>
        <source> ms</source>
        <translation> ms</translation>
    </message>
    <message>
        <source>…</source>
        <translation>…</translation>
    </message>
    <message>
        <source>Choose the folder</source>
        <translation>Choose the folder</translation>
    </message>
    <message>
        <source>Projects folder</source>
        <translation>Projects folder</translation>
    </message>
    <message>
        <source>&amp;Language:</source>
        <translation>&amp;Language:</translation>
    </message>
    <message>
        <source>&amp;Autosave every:</source>
        <translation>&amp;Autosave every:</translation>
    </message>
    <message>
        <source>&amp;Inspector refresh:</source>
        <translation>&amp;Inspector refresh:</translation>
    </message>
    <message>
        <source>&amp;Projects folder:</source>
        <translation>&amp;Projects folder:</translation>
    </message>
    <message>
        <source>A new language takes effect the next time Distillery starts.</source>
        <translation>A new language takes effect the next time Distillery starts.</translation>
    </message>
</context>
<context>
    <name>distillery::TermBalanceView</name>
    <message>
        <source>Term</source>
        <translation>Term</translation>
    </message>
    <message>
        <source>Weight</source>
        <translation>Weight</translation>
    </message>
    <message>
        <source>Loss share</source>
        <translation>Loss share</translation>
    </message>
    <message>
        <source>Gradient share</source>
        <translation>Gradient share</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Suggested weight</source>
        <translation>Suggested weight</translation>
    </message>
    <message>
        <source>Norm of the term&apos;s weighted gradient on the student&apos;s own parameters, as a share of the sum over all terms</source>
        <translation>Norm of the term&apos;s weighted gradient on the student&apos;s own parameters, as a share of the sum over all terms</translation>
    </message>
    <message>
        <source>The weight that would give the term the target share of the gradient, the other terms unchanged</source>
        <translation>The weight that would give the term the target share of the gradient, the other terms unchanged</translation>
    </message>
    <message>
        <source>Target share:</source>
        <translation>Target share:</translation>
    </message>
    <message>
        <source>The share of the student&apos;s gradient a suggested weight gives its term</source>
        <translation>The share of the student&apos;s gradient a suggested weight gives its term</translation>
    </message>
    <message>
        <source>Apply Suggested Weights</source>
        <translation>Apply Suggested Weights</translation>
    </message>
    <message>
        <source>Writes the suggested weights of the flagged terms into the recipe, for the next run</source>
        <translation>Writes the suggested weights of the flagged terms into the recipe, for the next run</translation>
    </message>
    <message>
        <source>step</source>
        <translation>step</translation>
    </message>
    <message>
        <source>gradient share (%)</source>
        <translation>gradient share (%)</translation>
    </message>
    <message numerus="yes">
        <source>No term balance yet: a distillation run measures it every %n step(s), from its first.</source>
        <translation>
            <numerusform>No term balance yet: a distillation run measures it every step, from its first.</numerusform>
            <numerusform>No term balance yet: a distillation run measures it every %n steps, from its first.</numerusform>
        </translation>
    </message>
    <message>
        <source>Term balance is off in this recipe (diagnostics.every: 0).</source>
        <translation>Term balance is off in this recipe (diagnostics.every: 0).</translation>
    </message>
    <message>
        <source>⚠ drowns the others (above %1)</source>
        <translation>⚠ drowns the others (above %1)</translation>
    </message>
    <message>
        <source>⚠ hardly counts (below %1)</source>
        <translation>⚠ hardly counts (below %1)</translation>
    </message>
    <message>
        <source>balanced</source>
        <translation>balanced</translation>
    </message>
    <message>
        <source>Weight %1 would give this term %2 of the gradient</source>
        <translation>Weight %1 would give this term %2 of the gradient</translation>
    </message>
    <message numerus="yes">
        <source>Step %1 (epoch %2): %n term(s) out of balance.</source>
        <translation>
            <numerusform>Step %1 (epoch %2): %n term out of balance.</numerusform>
            <numerusform>Step %1 (epoch %2): %n terms out of balance.</numerusform>
        </translation>
    </message>
    <message>
        <source>Step %1 (epoch %2): every term between %3 and %4 of the gradient.</source>
        <translation>Step %1 (epoch %2): every term between %3 and %4 of the gradient.</translation>
    </message>
    <message>
        <source>This run has no term balance: it trained with one loss term, stopped before its first step, or its recipe turned it off (diagnostics.every: 0).</source>
        <translation>This run has no term balance: it trained with one loss term, stopped before its first step, or its recipe turned it off (diagnostics.every: 0).</translation>
    </message>
</context>
<context>
    <name>distillery::WelcomePage</name>
    <message>
        <source>Welcome to Distillery</source>
        <translation>Welcome to Distillery</translation>
    </message>
    <message>
        <source>Distillery teaches a small neural network (the student) to imitate a large one (the teacher). Pick the two models, a data set and a recipe of loss terms, then watch every loss curve and compare the channel maps of teacher and student while it trains.</source>
        <translation>Distillery teaches a small neural network (the student) to imitate a large one (the teacher). Pick the two models, a data set and a recipe of loss terms, then watch every loss curve and compare the channel maps of teacher and student while it trains.</translation>
    </message>
    <message>
        <source>Run the Fashion-MNIST demo</source>
        <translation>Run the Fashion-MNIST demo</translation>
    </message>
    <message>
        <source>A ResNet-8 student learns from a trained ResNet-20 teacher with channel-wise distillation (CWD). Curves and channel maps appear within seconds; the whole run takes a few minutes.</source>
        <translation>A ResNet-8 student learns from a trained ResNet-20 teacher with channel-wise distillation (CWD). Curves and channel maps appear within seconds; the whole run takes a few minutes.</translation>
    </message>
    <message>
        <source>&amp;New project…</source>
        <translation>&amp;New project…</translation>
    </message>
    <message>
        <source>&amp;Open project…</source>
        <translation>&amp;Open project…</translation>
    </message>
    <message>
        <source>Recent projects</source>
        <translation>Recent projects</translation>
    </message>
    <message>
        <source>Close this page</source>
        <translation>Close this page</translation>
    </message>
</context>
<context>
    <name>main</name>
    <message>
        <source>Knowledge-distillation workbench</source>
        <translation>Knowledge-distillation workbench</translation>
    </message>
    <message>
        <source>Run a short demo and save screenshots to DIR.</source>
        <translation>Run a short demo and save screenshots to DIR.</translation>
    </message>
    <message>
        <source>User-interface language (en, zh_CN).</source>
        <translation>User-interface language (en, zh_CN).</translation>
    </message>
    <message>
        <source>Project folder to open.</source>
        <translation>Project folder to open.</translation>
    </message>
    <message>
        <source>Override a demo recipe key (with --demo or --screenshots).</source>
        <translation>Override a demo recipe key (with --demo or --screenshots).</translation>
    </message>
    <message>
        <source>Start the Fashion-MNIST demo in a new project, as the welcome page&apos;s button does.</source>
        <translation>Start the Fashion-MNIST demo in a new project, as the welcome page&apos;s button does.</translation>
    </message>
    <message>
        <source>Quit when the demo&apos;s distillation ends (exit status 0 if it finished, 1 if not); for scripted demos and checks.</source>
        <translation>Quit when the demo&apos;s distillation ends (exit status 0 if it finished, 1 if not); for scripted demos and checks.</translation>
    </message>
</context>
</TS>
